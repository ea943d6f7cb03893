import { spawn } from 'node:child_process';
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { constants } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CappedText, limitChars } from './output';
import { confinedCommand, ConfinementMode, MountPlan, SETUP_FAILED } from './python-confinement';
import { PYTHON_PREAMBLE } from './python-preamble';
import { SandboxResult } from './types';

/** How a Python tool runs: confined by the OS (see python-confinement.ts), or explicitly not. */
export type PythonConfinement =
  { mode: ConfinementMode; plan: MountPlan } | { mode: 'unconfined'; python: string };

export interface PythonRunOptions {
  sourceCode: string;
  functionName: string;
  args: Record<string, unknown>;
  env: Record<string, string>;
  timeoutMs: number;
  memoryMb: number;
  returnCharLimit: number;
  /** Cap on captured stdout and stderr, each. */
  outputCharLimit: number;
  /** Largest file the tool may write, in bytes. */
  fileSizeBytes: number;
  /** Size of the tool's private /tmp (confined runs), in bytes. */
  tmpBytes: number;
  confinement: PythonConfinement;
}

interface ToolReply {
  ok: boolean;
  value?: string;
  total?: number;
  type?: string;
  message?: string;
  traceback?: string;
}

const INTERPRETER_FLAGS = ['-I', '-S', '-u', '-c'];

/** The command line for one call: `[command, args, the tool's directory as it sees it]`. */
export function pythonCommand(
  confinement: PythonConfinement,
  hostDir: string,
  tmpBytes: number,
  program: string,
): [string, string[], string] {
  if (confinement.mode === 'unconfined') {
    return [confinement.python, [...INTERPRETER_FLAGS, program], hostDir];
  }
  const [cmd, args] = confinedCommand(confinement.mode, confinement.plan, hostDir, tmpBytes, program);
  return [cmd, args, '/tmp'];
}

/**
 * One tool call in a fresh `python3` process: confined (a private root and /tmp, nobody, no
 * network) unless the server was told to run tools unconfined, only the declared env vars, a
 * new process group killed as a whole on the wall-clock timeout, and the result on fd 3.
 */
export async function runPython(o: PythonRunOptions): Promise<SandboxResult> {
  const started = performance.now();
  // Confined, this empty directory is only the mount point of the tool's new root (inside the
  // tool's own mount namespace); unconfined, it is the tool's working directory.
  const hostDir = await mkdtemp(join(tmpdir(), 'engram-tool-'));
  try {
    return await spawnTool(o, hostDir, started);
  } finally {
    if (o.confinement.mode === 'unconfined')
      await rm(hostDir, { recursive: true, force: true }).catch(() => undefined);
    else
      await rmdir(hostDir).catch(() => rm(hostDir, { recursive: true, force: true }).catch(() => undefined));
  }
}

function spawnTool(o: PythonRunOptions, hostDir: string, started: number): Promise<SandboxResult> {
  const [cmd, argv, root] = pythonCommand(o.confinement, hostDir, o.tmpBytes, PYTHON_PREAMBLE);
  const payload = JSON.stringify({
    source: o.sourceCode,
    function: o.functionName,
    args: o.args,
    root,
    returnCharLimit: o.returnCharLimit,
    limits: {
      memBytes: o.memoryMb * 1024 * 1024,
      cpuSeconds: Math.max(1, Math.ceil(o.timeoutMs / 1000)),
      fileBytes: o.fileSizeBytes,
    },
  });
  const env = { ...o.env, PATH: '/usr/local/bin:/usr/bin:/bin', HOME: root, TMPDIR: root, LANG: 'C.UTF-8' };

  return new Promise((resolve) => {
    const stdout = new CappedText(o.outputCharLimit);
    const stderr = new CappedText(o.outputCharLimit);
    const reply: Buffer[] = [];
    let replyBytes = 0;
    const replyCap = o.returnCharLimit * 4 + 64 * 1024;
    let timedOut = false;
    let settled = false;

    const child = spawn(cmd, argv, {
      cwd: o.confinement.mode === 'unconfined' ? hostDir : '/',
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);

    const finish = (status: SandboxResult['status'], funcReturn: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup();
      resolve({
        status,
        funcReturn,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        durationMs: Math.round(performance.now() - started),
      });
    };

    child.stdout!.setEncoding('utf8').on('data', (c: string) => stdout.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
    const resultPipe = child.stdio[3] as NodeJS.ReadableStream;
    resultPipe.on('data', (c: Buffer) => {
      if (replyBytes < replyCap) reply.push(c);
      replyBytes += c.length;
    });
    resultPipe.on('error', () => undefined);
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(payload);

    child.on('error', (e) => finish('error', `Could not start the Python sandbox: ${e.message}`));
    child.on('close', (code, rawSignal) => {
      if (timedOut) return finish('error', `Tool timed out after ${o.timeoutMs} ms`);
      const parsed = parseReply(Buffer.concat(reply).toString('utf8'));
      if (parsed?.ok) {
        return finish('success', limitChars(parsed.value ?? '', o.returnCharLimit, parsed.total));
      }
      if (parsed) return finish('error', describeToolError(parsed, o.memoryMb));
      const setup = /engram sandbox setup failed: (.*)/.exec(stderr.toString());
      if (code === SETUP_FAILED && setup)
        return finish('error', `Could not set up the Python sandbox: ${setup[1]}`);
      // Confined, the tool is a child of the namespace's PID 1, which exits 128 + signal.
      const signal = rawSignal ?? (code !== null && code > 128 ? signalName(code - 128) : null);
      if (signal === 'SIGXCPU') return finish('error', `Tool exceeded its CPU time limit and was killed`);
      if (/MemoryError/.test(stderr.toString())) return finish('error', memoryMessage(o.memoryMb));
      const tail = stderr.toString().trim().split('\n').slice(-5).join('\n');
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      finish('error', `Tool process ${how} without returning a result${tail ? `: ${tail}` : ''}`);
    });
  });
}

function signalName(n: number): NodeJS.Signals | null {
  const found = Object.entries(constants.signals).find(([, v]) => v === n);
  return (found?.[0] as NodeJS.Signals | undefined) ?? null;
}

function parseReply(text: string): ToolReply | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as ToolReply;
    return typeof value === 'object' && value !== null && typeof value.ok === 'boolean' ? value : undefined;
  } catch {
    return undefined;
  }
}

const memoryMessage = (mb: number) => `Tool exceeded memory limit of ${mb} MB`;

function describeToolError(reply: ToolReply, memoryMb: number): string {
  if (reply.type === 'MemoryError') return memoryMessage(memoryMb);
  return `${reply.type ?? 'Error'}: ${reply.message ?? ''}`.trim();
}
