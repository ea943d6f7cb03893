import { spawn } from 'node:child_process';
import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJs } from './js-runner';
import { ConfinementMode, confinedCommand, MountPlan, planMounts } from './python-confinement';
import { PythonConfinement, runPython } from './python-runner';
import { HIDDEN_PARAMETERS, PythonIsolation, SandboxResult, SandboxRunRequest } from './types';

export interface SandboxOptions {
  /** Defaults for requests that leave them out. */
  timeoutMs?: number;
  memoryMb?: number;
  returnCharLimit?: number;
  /** Cap on captured stdout and on stderr, each (default 64k characters). */
  outputCharLimit?: number;
  /** Largest file a Python tool may write (default 16 MB). */
  fileSizeBytes?: number;
  /** Size of a Python tool's private /tmp (default 64 MB). */
  tmpBytes?: number;
  /** The interpreter: a name looked up in the server's PATH (pyenv shims work) or a path. */
  pythonPath?: string;
  /**
   * `confined` (default): Python tools run only under OS confinement and are refused where it
   * is unavailable. `unconfined`: where confinement is unavailable, run them with rlimits and
   * the audit hook alone (no security boundary; for trusted, single-user machines).
   */
  pythonSandbox?: 'confined' | 'unconfined';
  /** Force a Python isolation level instead of probing (tests). */
  pythonIsolation?: PythonIsolation;
}

export interface SandboxCapabilities {
  pythonIsolation: PythonIsolation;
  /** Why confinement is not available, when it is not. */
  pythonProblem?: string;
}

interface PythonSetup {
  isolation: PythonIsolation;
  confinement?: PythonConfinement;
  problem?: string;
}

export const SANDBOX_DEFAULTS = {
  timeoutMs: 30_000,
  memoryMb: 256,
  returnCharLimit: 50_000,
  outputCharLimit: 64 * 1024,
  fileSizeBytes: 16 * 1024 * 1024,
  tmpBytes: 64 * 1024 * 1024,
  pythonPath: 'python3',
  pythonSandbox: 'confined',
} as const;

/**
 * Runs user-written tools. Python: one limited `python3` process per call. TypeScript/JavaScript:
 * one V8 isolate per call. Never throws for anything the tool does: every failure is a result
 * with `status: 'error'`.
 */
export class ToolSandbox {
  private readonly options: Required<Omit<SandboxOptions, 'pythonIsolation'>>;
  private readonly forced?: PythonIsolation;
  private python?: Promise<PythonSetup>;

  constructor(options: SandboxOptions = {}) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...SANDBOX_DEFAULTS, ...defined };
    this.forced = options.pythonIsolation;
  }

  /** Probes the isolation available and loads the compiler and isolate code, so the first call is not the slow one. */
  async warmup(): Promise<SandboxCapabilities> {
    const python = await this.pythonSetup();
    await runJs({
      sourceType: 'typescript',
      sourceCode: 'export function ping(): string { return "pong"; }',
      functionName: 'ping',
      args: {},
      env: {},
      timeoutMs: 5_000,
      memoryMb: 16,
      returnCharLimit: 100,
      outputCharLimit: 100,
    });
    return {
      pythonIsolation: python.isolation,
      ...(python.problem ? { pythonProblem: python.problem } : {}),
    };
  }

  async run(request: SandboxRunRequest): Promise<SandboxResult> {
    const started = performance.now();
    const args = Object.fromEntries(
      Object.entries(request.args ?? {}).filter(([k]) => !HIDDEN_PARAMETERS.has(k)),
    );
    const common = {
      sourceCode: request.sourceCode,
      functionName: request.functionName,
      args,
      env: { ...(request.env ?? {}) },
      timeoutMs: positive(request.timeoutMs, this.options.timeoutMs),
      memoryMb: positive(request.memoryMb, this.options.memoryMb),
      returnCharLimit: positive(request.returnCharLimit, this.options.returnCharLimit),
      outputCharLimit: this.options.outputCharLimit,
    };
    try {
      if (request.sourceType === 'python') {
        const python = await this.pythonSetup();
        if (!python.confinement) {
          return failure(
            `Python tools are disabled on this server: they cannot be confined here (${python.problem}). ` +
              'Set ENGRAM_PYTHON_SANDBOX=unconfined to run them without OS confinement.',
            started,
          );
        }
        return await runPython({
          ...common,
          fileSizeBytes: this.options.fileSizeBytes,
          tmpBytes: this.options.tmpBytes,
          confinement: python.confinement,
        });
      }
      if (request.sourceType === 'typescript' || request.sourceType === 'javascript') {
        return await runJs({ ...common, sourceType: request.sourceType });
      }
      return failure(`Unsupported source_type '${String(request.sourceType)}'`, started);
    } catch (e) {
      return failure(`Sandbox failure: ${e instanceof Error ? e.message : String(e)}`, started);
    }
  }

  /** The strongest Python isolation this machine grants, found once by trying each in turn. */
  async pythonIsolation(): Promise<PythonIsolation> {
    return (await this.pythonSetup()).isolation;
  }

  private pythonSetup(): Promise<PythonSetup> {
    this.python ??= probePython(this.options.pythonPath, this.options.pythonSandbox, this.forced);
    return this.python;
  }
}

const LEVELS: Array<[ConfinementMode, PythonIsolation]> = [
  ['root', 'namespaces+nobody'],
  ['userns', 'userns'],
];

async function probePython(
  pythonPath: string,
  sandbox: 'confined' | 'unconfined',
  forced?: PythonIsolation,
): Promise<PythonSetup> {
  let plan: MountPlan | undefined;
  let problem: string | undefined;
  try {
    plan = await planMounts(pythonPath);
  } catch (e) {
    problem = (e as Error).message;
  }
  const unconfined = (): PythonSetup => ({
    isolation: 'unconfined',
    confinement: { mode: 'unconfined', python: plan?.python ?? pythonPath },
    problem,
  });
  if (forced === 'unconfined') return unconfined();
  if (plan) {
    const candidates = LEVELS.filter(([mode, level]) =>
      forced ? level === forced : mode === 'userns' || process.getuid?.() === 0,
    );
    const failures: string[] = [];
    for (const [mode, isolation] of candidates) {
      const why = await confinementWorks(mode, plan);
      if (!why) return { isolation, confinement: { mode, plan } };
      failures.push(`${isolation}: ${why}`);
    }
    problem = failures.join('; ') || 'no namespace level applies';
  }
  return sandbox === 'unconfined' ? unconfined() : { isolation: 'unavailable', problem };
}

/** Runs a probe program confined; undefined when it worked, else what went wrong. */
async function confinementWorks(mode: ConfinementMode, plan: MountPlan): Promise<string | undefined> {
  const root = await mkdtemp(join(tmpdir(), 'engram-probe-'));
  const probe =
    'import os, socket, _json, math\n' +
    'assert not os.path.exists("/etc/passwd") and not os.path.exists("/proc/self"), "host files visible"\n' +
    'open("/tmp/probe", "w").write("ok")\n' +
    'print("confined", os.getuid())';
  try {
    const [cmd, argv] = confinedCommand(mode, plan, root, 1024 * 1024, probe);
    const r = await runOnce(cmd, argv);
    return r.code === 0 && /^confined \d+/.test(r.out)
      ? undefined
      : (r.err || r.out).trim().split('\n').pop() || `exit ${r.code}`;
  } finally {
    await rmdir(root).catch(() => undefined);
  }
}

function runOnce(cmd: string, argv: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
      cwd: '/',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => resolve({ code: -1, out, err: e.message }));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const positive = (value: number | undefined, fallback: number) =>
  value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;

const failure = (message: string, started: number): SandboxResult => ({
  status: 'error',
  funcReturn: message,
  stdout: '',
  stderr: '',
  durationMs: Math.round(performance.now() - started),
});
