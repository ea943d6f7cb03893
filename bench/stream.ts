/**
 * bench/stream: the streaming paths, with the fake LLM.
 *   1. token latency: from the fake LLM writing a token to the SSE client reading it, p50/p99,
 *      for a foreground stream (the run executes in the api process) and, with Redis, for a
 *      background stream (the run executes in a worker process, its events cross Redis);
 *   2. memory per idle WebSocket client, with 1,000 connected to /ws (clients in a child
 *      process, so only the server's memory is counted);
 *   3. runs/s through the `runs` queue with 1 and 2 worker processes (with Redis).
 *
 *   npm run bench:stream                                              # 1 (in-process) and 2, embedded
 *   DATABASE_URL=postgres://... REDIS_URL=redis://... npm run bench:stream   # everything
 * Env: BENCH_TOKENS (per stream, default 100), BENCH_STREAMS (default 20), BENCH_WS (1000),
 *      BENCH_RUNS (runs per queue case, default 300).
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { FakeOpenAiServer } from '../test/support/fake-openai';
import { loadAverage, percentile, postJson } from './support';

const root = join(__dirname, '..');
const SECRETS_KEY = 'bench-stream-secrets-key-0123456789';
const PREFIX = `bench-stream-${process.pid}`;
const tokensPerStream = Number(process.env.BENCH_TOKENS ?? 100);
const streams = Number(process.env.BENCH_STREAMS ?? 20);
const wsClients = Number(process.env.BENCH_WS ?? 1000);
const runsPerCase = Number(process.env.BENCH_RUNS ?? 300);
const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const fake = await FakeOpenAiServer.start({ record: false, defaultReply: { content: 'ok' } });
  const env = {
    ...process.env,
    LOG_LEVEL: 'error',
    PORT: '0',
    ENGRAM_DATA_DIR: process.env.ENGRAM_DATA_DIR ?? 'memory://',
    ENGRAM_MIGRATE_ON_START: 'true',
    ENGRAM_REDIS_PREFIX: PREFIX,
    ENGRAM_SECRETS_KEY: SECRETS_KEY,
    ENGRAM_WS_MAX_CONNECTIONS_PER_KEY: String(wsClients + 10),
    // The api executes only foreground runs: queued ones are the workers' (with Redis).
    ENGRAM_PROCESS_JOBS: shared ? 'false' : 'true',
    OPENAI_API_KEY: 'bench',
    OPENAI_BASE_URL: fake.baseUrl,
  };
  const app = await createApp(loadConfig(env));
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const post = (path: string, body: unknown) => postJson(base, path, body);
  const json = async (r: Response): Promise<any> => r.json();
  const newAgent = async (): Promise<string> =>
    (await json(await post('/v1/agents', { model: 'openai/gpt-4o-mini' }))).id;
  const workers: ChildProcess[] = [];
  const workerEnv = {
    DATABASE_URL: process.env.DATABASE_URL ?? '',
    REDIS_URL: process.env.REDIS_URL ?? '',
    ENGRAM_REDIS_PREFIX: PREFIX,
    ENGRAM_SECRETS_KEY: SECRETS_KEY,
    ENGRAM_MIGRATE_ON_START: 'false',
    ENGRAM_METRICS_PORT: '0',
    OPENAI_API_KEY: 'bench',
    OPENAI_BASE_URL: fake.baseUrl,
    LOG_LEVEL: 'warn',
  };

  try {
    console.log(
      `bench/stream: db=${process.env.DATABASE_URL ? 'postgres' : 'embedded PGlite'}, bus=${shared ? 'Redis' : 'in-process'}, load average ${loadAverage()}`,
    );

    // 1. Token latency.
    const latency = async (label: string, background: boolean) => {
      const agent = await newAgent();
      const times: number[] = [];
      for (let s = 0; s < streams; s++) {
        const emitted = new Map<number, number>();
        const words = Array.from({ length: tokensPerStream }, (_, i) => `t${i} `).join('');
        fake.enqueue({
          content: words,
          chunkDelayMs: 2,
          onChunk: (_piece, i) => emitted.set(i, performance.now()),
        });
        const res = await post(`/v1/agents/${agent}/messages/stream`, {
          input: `stream ${s}`,
          stream_tokens: true,
          background,
        });
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const now = performance.now();
          buffer += decoder.decode(value, { stream: true });
          let at: number;
          while ((at = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            if (!frame.startsWith('data: {')) continue;
            const chunk = JSON.parse(frame.slice(6));
            if (chunk.message_type !== 'assistant_message' || typeof chunk.content !== 'string') continue;
            for (const m of chunk.content.matchAll(/t(\d+)/g)) {
              const sent = emitted.get(Number(m[1]));
              if (sent !== undefined) times.push(now - sent);
            }
          }
        }
      }
      times.sort((x, y) => x - y);
      console.log(
        `${label.padEnd(52)} p50 ${percentile(times, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(
          times,
          99,
        )
          .toFixed(2)
          .padStart(6)} ms  (${times.length} tokens)`,
      );
    };
    await latency('token latency, foreground stream (api executes)', false);
    if (shared) {
      workers.push(await startWorker(workerEnv));
      await latency('token latency, background stream (worker + Redis)', true);
    } else {
      console.log('token latency, worker + Redis: needs DATABASE_URL and REDIS_URL (skipped)');
    }

    // 2. Memory per idle WebSocket client.
    const gc = (globalThis as { gc?: () => void }).gc;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc?.();
        await sleep(100);
      }
      return process.memoryUsage();
    };
    const before = await settle();
    const clients = await openWsClients(`${base.replace('http', 'ws')}/ws`, wsClients);
    await sleep(500);
    const after = await settle();
    const per = (k: 'heapUsed' | 'rss' | 'external') =>
      ((after[k] - before[k]) / wsClients / 1024).toFixed(1);
    console.log(
      `idle WebSocket clients: ${wsClients} connected, per client: heap ${per('heapUsed')} KiB, external ${per('external')} KiB, RSS ${per('rss')} KiB${gc ? '' : ' (no --expose-gc: noisy)'}`,
    );
    clients.kill();

    // 3. Queue throughput.
    if (shared) {
      const throughput = async (n: number, agentCount: number) => {
        // Fresh agents per case, so every case starts from the same history.
        const agents: string[] = [];
        for (let i = 0; i < agentCount; i += 25)
          agents.push(...(await Promise.all(Array.from({ length: Math.min(25, agentCount - i) }, newAgent))));
        while (workers.length < n) workers.push(await startWorker(workerEnv));
        fake.defaultReply = { content: 'ok' };
        const started = performance.now();
        const ids: string[] = [];
        await Promise.all(
          agents.map(async (a, w) => {
            for (let i = w; i < runsPerCase; i += agents.length)
              ids.push((await json(await post(`/v1/agents/${a}/messages/async`, { input: `r${i}` }))).id);
          }),
        );
        for (;;) {
          const r = await fetch(`${base}/v1/runs?active=true&limit=100`);
          const active = (await r.json()) as unknown[];
          if (r.status !== 200 || !Array.isArray(active)) throw new Error(`listing runs: ${r.status}`);
          if (active.length === 0) break;
          await sleep(20);
        }
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `runs through the queue, ${n} worker${n > 1 ? 's' : ' '} (${runsPerCase} runs, ${agentCount} agents)`.padEnd(
            52,
          ) + ` ${(runsPerCase / seconds).toFixed(1).padStart(7)} runs/s`,
        );
      };
      // 50 agents: 6 runs each, serialized per agent across workers (the Redis agent lock);
      // one run per agent: nothing to serialize.
      await throughput(1, 50);
      await throughput(2, 50);
      await throughput(1, runsPerCase);
      await throughput(2, runsPerCase);
    } else {
      console.log('runs/s through the queue with workers: needs DATABASE_URL and REDIS_URL (skipped)');
    }
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await app.close();
    await fake.close();
  }
}

/** `src/worker.ts` as its own process, resolved once it says it started. */
async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', './bench/register.js', 'src/worker.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      if (output.includes('Engram worker started')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
  });
  return child;
}

/** A child process holding `n` idle /ws connections; resolves once all are open. */
async function openWsClients(url: string, n: number): Promise<ChildProcess> {
  const script = `
    const { WebSocket } = require('ws');
    let open = 0;
    const all = [];
    for (let i = 0; i < ${n}; i++) {
      const ws = new WebSocket(${JSON.stringify(url)});
      ws.on('open', () => { if (++open === ${n}) process.stdout.write('open\\n'); });
      ws.on('error', (e) => { process.stderr.write(String(e) + '\\n'); process.exit(1); });
      all.push(ws);
    }
    setInterval(() => {}, 1 << 30);`;
  const child = spawn(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => String(c).includes('open') && resolve());
    child.once('exit', (code) => reject(new Error(`ws clients exited with ${code}`)));
  });
  return child;
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
