import { spawn } from 'node:child_process';
import { runJs } from './js-runner';
import { pythonCommand, runPython } from './python-runner';
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
  pythonPath?: string;
  /** Force a Python isolation level instead of probing (tests, or machines where probing misleads). */
  pythonIsolation?: PythonIsolation;
}

export interface SandboxCapabilities {
  pythonIsolation: PythonIsolation;
}

export const SANDBOX_DEFAULTS = {
  timeoutMs: 30_000,
  memoryMb: 256,
  returnCharLimit: 50_000,
  outputCharLimit: 64 * 1024,
  fileSizeBytes: 16 * 1024 * 1024,
  pythonPath: 'python3',
} as const;

/**
 * Runs user-written tools. Python: one limited `python3` process per call. TypeScript/JavaScript:
 * one V8 isolate per call. Never throws for anything the tool does: every failure is a result
 * with `status: 'error'`.
 */
export class ToolSandbox {
  private readonly options: Required<Omit<SandboxOptions, 'pythonIsolation'>>;
  private isolation?: Promise<PythonIsolation>;

  constructor(options: SandboxOptions = {}) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...SANDBOX_DEFAULTS, ...defined };
    if (options.pythonIsolation) this.isolation = Promise.resolve(options.pythonIsolation);
  }

  /** Probes the isolation available and loads the compiler and isolate code, so the first call is not the slow one. */
  async warmup(): Promise<SandboxCapabilities> {
    const pythonIsolation = await this.pythonIsolation();
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
    return { pythonIsolation };
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
        return await runPython({
          ...common,
          fileSizeBytes: this.options.fileSizeBytes,
          pythonPath: this.options.pythonPath,
          isolation: await this.pythonIsolation(),
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
  pythonIsolation(): Promise<PythonIsolation> {
    this.isolation ??= probeIsolation(this.options.pythonPath);
    return this.isolation;
  }
}

async function probeIsolation(python: string): Promise<PythonIsolation> {
  const candidates: PythonIsolation[] =
    process.getuid?.() === 0 ? ['netns+nobody', 'userns+netns'] : ['userns+netns'];
  for (const level of candidates) {
    const [cmd, argv] = pythonCommand(python, level, 'import socket');
    if (await succeeds(cmd, argv)) return level;
  }
  return 'audit-hook-only';
}

function succeeds(cmd: string, argv: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: 'ignore', timeout: 5_000, cwd: '/' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
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
