import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..', '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A private copy of what `npm run build` makes (swc into dist/, same .swcrc) plus the `bin`
 * shim, in a temp folder: tests run `engram` as it ships, without racing over the repo's dist/.
 */
export class BuiltCli {
  private constructor(readonly dir: string) {}

  static async build(): Promise<BuiltCli> {
    const dir = mkdtempSync(join(tmpdir(), 'engram-cli-'));
    const swc = join(ROOT, 'node_modules', '.bin', 'swc');
    await promisify(execFile)(
      swc,
      ['src', 'libs', '-d', join(dir, 'dist'), '--ignore', '**/*.spec.ts', '--quiet'],
      { cwd: ROOT },
    );
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(ROOT, 'bin', 'engram.js'), join(dir, 'bin', 'engram.js'));
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    return new BuiltCli(dir);
  }

  get bin(): string {
    return join(this.dir, 'bin', 'engram.js');
  }

  /** Runs `engram <args>` to its end (killed after `timeoutMs`) with exactly `env` (plus PATH). */
  run(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<CliResult> {
    const child = this.spawn(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    return new Promise((done) =>
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        done({ code, signal, stdout, stderr });
      }),
    );
  }

  spawn(args: string[], env: Record<string, string | undefined> = {}) {
    const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    return spawn(process.execPath, [this.bin, ...args], {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '', ...clean },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
