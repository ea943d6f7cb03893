import { spawn } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CappedText, limitChars } from './output';
import { PYTHON_PREAMBLE } from './python-preamble';
import { PythonIsolation, SandboxResult } from './types';

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
  pythonPath: string;
  isolation: PythonIsolation;
}

const NOBODY = 65534;

interface ToolReply {
  ok: boolean;
  value?: string;
  total?: number;
  type?: string;
  message?: string;
  traceback?: string;
}

/** The command line that wraps python3 for the chosen isolation. */
export function pythonCommand(
  python: string,
  isolation: PythonIsolation,
  program: string,
): [string, string[]] {
  const py = [python, '-I', '-S', '-u', '-c', program];
  switch (isolation) {
    case 'netns+nobody':
      return ['unshare', ['--net', '--setgid', String(NOBODY), '--setuid', String(NOBODY), '--', ...py]];
    case 'userns+netns':
      return ['unshare', ['--map-root-user', '--net', '--', ...py]];
    default:
      return [py[0], py.slice(1)];
  }
}

/**
 * One tool call in a fresh `python3` process: its own temp dir as cwd and HOME, only the declared
 * env vars, a new process group killed as a whole on the wall-clock timeout, and the result on fd 3.
 */
export async function runPython(o: PythonRunOptions): Promise<SandboxResult> {
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), 'engram-tool-'));
  try {
    if (o.isolation === 'netns+nobody') await chown(root, NOBODY, NOBODY);
    return await spawnTool(o, root, started);
  } finally {
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  }
}

function spawnTool(o: PythonRunOptions, root: string, started: number): Promise<SandboxResult> {
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
  const [cmd, argv] = pythonCommand(o.pythonPath, o.isolation, PYTHON_PREAMBLE);
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
      cwd: root,
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
    child.on('close', (code, signal) => {
      if (timedOut) return finish('error', `Tool timed out after ${o.timeoutMs} ms`);
      const parsed = parseReply(Buffer.concat(reply).toString('utf8'));
      if (parsed?.ok) {
        return finish('success', limitChars(parsed.value ?? '', o.returnCharLimit, parsed.total));
      }
      if (parsed) return finish('error', describeToolError(parsed, o.memoryMb));
      if (signal === 'SIGXCPU') return finish('error', `Tool exceeded its CPU time limit and was killed`);
      if (/MemoryError/.test(stderr.toString())) return finish('error', memoryMessage(o.memoryMb));
      const tail = stderr.toString().trim().split('\n').slice(-5).join('\n');
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      finish('error', `Tool process ${how} without returning a result${tail ? `: ${tail}` : ''}`);
    });
  });
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
