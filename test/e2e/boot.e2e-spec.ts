import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { createApp } from '../../src/app.factory';

const root = join(__dirname, '../..');

/** Runs `src/main.ts` the way `npm start` runs its build, and collects how it ended. */
function boot(env: Record<string, string>): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', './bench/register.js', 'src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, ms: Date.now() - started });
    });
  });
}

/** A wrong variable stops the process at boot, quickly, with one message that names it. */
describe('bad configuration fails fast (e2e)', () => {
  const env = { ENGRAM_DATA_DIR: 'memory://', ENGRAM_CONNECT_TIMEOUT_MS: '3000' };

  it('a DATABASE_URL that does not answer: createApp rejects naming it, within the connect timeout', async () => {
    const started = Date.now();
    const config = loadConfig({ ...env, DATABASE_URL: 'postgres://engram:secret@127.0.0.1:1/nowhere' });
    const err = await createApp(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /^DATABASE_URL: cannot use postgres:\/\/engram:\*\*\*@127\.0\.0\.1:1\/nowhere: /,
    );
    expect((err as Error).message).not.toContain('secret');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a REDIS_URL that does not answer: createApp rejects naming it, without an error flood', async () => {
    const config = loadConfig({ ...env, REDIS_URL: 'redis://127.0.0.1:1/0' });
    const err = await createApp(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^REDIS_URL: cannot use redis:\/\/127\.0\.0\.1:1\/0: /);
  });

  it('the process exits 78 with one line naming both variables', async () => {
    const r = await boot({
      ...env,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
      REDIS_URL: 'redis://127.0.0.1:1/0',
    });
    expect(r.code).toBe(78);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^DATABASE_URL: .*; REDIS_URL: /);
    expect(r.stderr).not.toContain('Unhandled error event');
  });

  it('a malformed variable exits 78 naming it', async () => {
    const r = await boot({ ...env, OPENAI_BASE_URL: 'api.openai.com', ENGRAM_RUN_SWEEP_MS: 'often' });
    expect(r.code).toBe(78);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/OPENAI_BASE_URL: must be an http/);
    expect(r.stderr).toMatch(/ENGRAM_RUN_SWEEP_MS/);
  });
});
