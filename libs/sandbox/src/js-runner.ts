import ivm from 'isolated-vm';
import ts from 'typescript';
import { limitChars } from './output';
import { typeScriptCallShape } from './schema/typescript';
import { SandboxResult, ToolSourceType } from './types';

export interface JsRunOptions {
  sourceType: Exclude<ToolSourceType, 'python'>;
  sourceCode: string;
  functionName: string;
  args: Record<string, unknown>;
  env: Record<string, string>;
  timeoutMs: number;
  memoryMb: number;
  returnCharLimit: number;
  outputCharLimit: number;
}

/** V8 refuses isolates smaller than this. */
const MIN_ISOLATE_MB = 8;

interface IsolateReply {
  ok: boolean;
  value?: string;
  total?: number;
  type?: string;
  message?: string;
}

/**
 * The code that runs inside the isolate, after the tool's module body. It finds the function,
 * calls it with the JSON args (positionally in declared order, or as one object for a single
 * destructured parameter), awaits it, and returns a plain, copyable reply: errors never cross
 * the isolate boundary as objects.
 */
const CALL = String.raw`
(async () => {
  const fn = __fn();
  if (typeof fn !== 'function') {
    return { ok: false, type: 'ReferenceError', message: 'function ' + __call.name + ' is not defined at the top level of the tool' };
  }
  try {
    const argv = __call.singleObject ? [__args] : __call.parameterNames.map((n) => __args[n]);
    let value = await fn(...argv);
    let text;
    if (typeof value === 'string') text = value;
    else if (value === undefined) text = 'undefined';
    else { try { text = JSON.stringify(value); } catch (e) { text = String(value); } }
    if (text === undefined) text = String(value);
    return { ok: true, value: text.slice(0, __limit), total: text.length };
  } catch (e) {
    const type = e && typeof e === 'object' && e.name ? String(e.name) : 'Error';
    const message = e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e);
    return { ok: false, type, message };
  }
})()`;

/** Builds `console`, a `process.env` shim holding only the declared vars, and a `require` that refuses. */
const SETUP = String.raw`
const __fmt = (a) => a.map((x) => {
  if (typeof x === 'string') return x;
  try { const s = JSON.stringify(x); return s === undefined ? String(x) : s; } catch (e) { return String(x); }
}).join(' ');
globalThis.console = Object.freeze({
  log: (...a) => __out(__fmt(a) + '\n'), info: (...a) => __out(__fmt(a) + '\n'), debug: (...a) => __out(__fmt(a) + '\n'),
  warn: (...a) => __err(__fmt(a) + '\n'), error: (...a) => __err(__fmt(a) + '\n'),
});
globalThis.process = Object.freeze({ env: Object.freeze(Object.assign(Object.create(null), __env)) });
globalThis.require = (name) => { throw new Error('require(' + JSON.stringify(name) + ') is not available in the sandbox'); };
`;

/** One tool call in a fresh V8 isolate (no fs, net, process or require exist there). */
export async function runJs(o: JsRunOptions): Promise<SandboxResult> {
  const started = performance.now();
  const stdout: string[] = [];
  const stderr: string[] = [];
  let outChars = 0;
  let errChars = 0;
  const done = (status: SandboxResult['status'], funcReturn: string): SandboxResult => ({
    status,
    funcReturn,
    stdout: limitChars(stdout.join(''), o.outputCharLimit, outChars),
    stderr: limitChars(stderr.join(''), o.outputCharLimit, errChars),
    durationMs: Math.round(performance.now() - started),
  });

  // Not found here (e.g. assigned in an odd way): the isolate reports it, or gets the args object whole.
  const call = typeScriptCallShape(o.sourceCode, o.functionName) ?? {
    name: o.functionName,
    parameterNames: [],
    singleObject: true,
  };
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(o.functionName)) {
    return done('error', `Invalid function name '${o.functionName}'`);
  }
  const js = ts.transpileModule(o.sourceCode, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      esModuleInterop: false,
    },
  }).outputText;
  const body =
    `const exports = {}; const module = { exports };\n` +
    `const __fn = (() => {\n${js}\n;return () => (module.exports && typeof module.exports[${JSON.stringify(o.functionName)}] === 'function') ` +
    `? module.exports[${JSON.stringify(o.functionName)}] : (typeof ${o.functionName} === 'function' ? ${o.functionName} : undefined);\n})();\n` +
    CALL;

  const isolate = new ivm.Isolate({ memoryLimit: Math.max(MIN_ISOLATE_MB, o.memoryMb) });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (!isolate.isDisposed) isolate.dispose();
  }, o.timeoutMs);
  try {
    const context = await isolate.createContext();
    const jail = context.global;
    const capture = (parts: string[], isErr: boolean) => (text: string) => {
      const used = isErr ? errChars : outChars;
      if (used < o.outputCharLimit) parts.push(text.slice(0, o.outputCharLimit - used));
      if (isErr) errChars += text.length;
      else outChars += text.length;
    };
    await jail.set('__out', new ivm.Callback(capture(stdout, false)));
    await jail.set('__err', new ivm.Callback(capture(stderr, true)));
    await jail.set('__env', new ivm.ExternalCopy({ ...o.env }).copyInto());
    await jail.set('__args', new ivm.ExternalCopy(o.args).copyInto());
    await jail.set('__call', new ivm.ExternalCopy(call).copyInto());
    await jail.set('__limit', o.returnCharLimit);
    await context.eval(SETUP, { timeout: o.timeoutMs });
    const reply = (await context.eval(`{\n${body}\n}`, {
      timeout: o.timeoutMs,
      promise: true,
      copy: true,
      filename: 'tool.js',
    })) as IsolateReply;
    if (timedOut) return done('error', `Tool timed out after ${o.timeoutMs} ms`);
    if (reply.ok) return done('success', limitChars(reply.value ?? '', o.returnCharLimit, reply.total));
    if (reply.type === 'RangeError' && /array buffer allocation failed/i.test(reply.message ?? '')) {
      return done('error', `Tool exceeded memory limit of ${o.memoryMb} MB`);
    }
    return done('error', `${reply.type ?? 'Error'}: ${reply.message ?? ''}`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (timedOut || /timed out/i.test(message))
      return done('error', `Tool timed out after ${o.timeoutMs} ms`);
    if (/memory limit|allocation failed|out of memory/i.test(message)) {
      return done('error', `Tool exceeded memory limit of ${o.memoryMb} MB`);
    }
    return done('error', `${e instanceof Error ? e.name : 'Error'}: ${message}`);
  } finally {
    clearTimeout(timer);
    if (!isolate.isDisposed) isolate.dispose();
  }
}
