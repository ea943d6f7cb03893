import autocannon from 'autocannon';
import { fork, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../src/app.factory';
import { AppConfig, loadConfig } from '../src/config/config';

/** Shared helpers for benchmarks: bounded loopback load and percentile maths. */

export interface LoadResult {
  label: string;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function load(
  label: string,
  opts: {
    url: string;
    method?: 'GET' | 'POST';
    body?: string;
    headers?: Record<string, string>;
    seconds: number;
    connections: number;
  },
): Promise<LoadResult> {
  if (!/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(opts.url))
    throw new Error('benchmarks target loopback only');
  const r = await autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    body: opts.body,
    headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) },
    duration: opts.seconds,
    connections: opts.connections,
  });
  return {
    label,
    requestsPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function printTable(rows: LoadResult[]): void {
  console.log(
    ['case', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx']
      .map((h, i) => (i === 0 ? h.padEnd(44) : h.padStart(9)))
      .join(''),
  );
  for (const r of rows) {
    console.log(
      r.label.padEnd(44) +
        [r.requestsPerSec.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), String(r.errors), String(r.non2xx)]
          .map((v) => v.padStart(9))
          .join(''),
    );
  }
}

/**
 * Counts SQL round trips: every statement the app sends (TypeORM, prepared reads, BEGIN/COMMIT)
 * goes through pg's `Client.prototype.query`, so a hook there sees them all, embedded or not.
 * `take()` returns the statements since the last call.
 */
export function queryCounter(): { take(): string[] } {
  const proto = Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  let seen: string[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0];
    const text = typeof q === 'string' ? q : ((q as { text?: string; name?: string })?.text ?? '?');
    seen.push(text.replace(/\s+/g, ' ').trim());
    return original.apply(this, args);
  };
  return {
    take() {
      const out = seen;
      seen = [];
      return out;
    },
  };
}

/** Runs this bench again in a child process on the embedded database (no DATABASE_URL). */
export async function rerunEmbedded(script: string, extraEnv: Record<string, string> = {}): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, BENCH_EMBEDDED_PASS: '1' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', './bench/register.js', script], { env, stdio: 'inherit' });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${script} (embedded) exit ${code}`)),
    );
  });
}

/**
 * The real app as a bench runs it, listening on a loopback port: errors-only logs, migrated at
 * start, embedded in memory unless DATABASE_URL (or ENGRAM_DATA_DIR) says otherwise; `env`
 * adds to or overrides the environment.
 */
export async function startBenchApp(
  env: Record<string, string> = {},
): Promise<{ app: NestFastifyApplication; config: AppConfig; base: string }> {
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'error',
    PORT: '0',
    ENGRAM_DATA_DIR: process.env.ENGRAM_DATA_DIR ?? 'memory://',
    ENGRAM_MIGRATE_ON_START: 'true',
    ...env,
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  return {
    app,
    config,
    base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
  };
}

export interface BenchServer {
  base: string;
  db: string;
  /** The SQL statements the server sent, and the CPU time it used (all, and in the kernel), since the last call. */
  take(): Promise<{ sql: string[]; cpuMs: number; sysMs: number }>;
  /** Starts a CPU profile of the server; with a file, stops it and writes it there. */
  profile(file?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real app in a child process of its own (bench/server.ts), so that what a bench measures
 * is the server, not the server sharing one event loop with the load and the fake LLM; `env`
 * adds to the environment.
 */
export async function startBenchServer(env: Record<string, string>): Promise<BenchServer> {
  const child = fork('bench/server.ts', [], {
    execArgv: ['-r', './bench/register.js'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench server exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as T);
      });
    });
  const { base, db } = await next<{ base: string; db: string }>();
  return {
    base,
    db,
    take() {
      const answer = next<{ sql: string[]; cpuMs: number; sysMs: number }>();
      child.send({ cmd: 'take' });
      return answer;
    },
    async profile(file?: string) {
      const answer = next<unknown>();
      child.send({ cmd: 'profile', file });
      await answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send({ cmd: 'close' });
      }),
  };
}

/** POSTs JSON to the app at `base`; anything but a 200 throws, naming the path, status and body. */
export async function postJson(base: string, path: string, body: unknown): Promise<Response> {
  const r = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r;
}

/** The machine's load average, printed beside every figure (the machine is shared). */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
