/**
 * bench/tools: latency of a trivial Python and a trivial TypeScript tool call, straight through
 * the sandbox and through `POST /v1/agents/:id/tools/:name/run`, cold (first call of a fresh
 * sandbox / app) and warm (p50/p99 of sequential calls), then tool calls/s with 2 concurrent
 * workers on the run endpoint.
 *
 *   npm run bench:tools                      # embedded Postgres
 *   DATABASE_URL=postgres://... npm run bench:tools
 * Env: BENCH_CALLS (warm calls per case, default 40), BENCH_SECONDS (throughput, default 5).
 */
import 'reflect-metadata';
import { ToolSandbox } from '@engram/sandbox';
import { percentile, startBenchApp } from './support';

const PY = 'def py_echo(x: int) -> int:\n    return x + 1\n';
const TS = 'export function ts_echo(x: number): number { return x + 1; }';

interface Row {
  label: string;
  cold: number;
  p50: number;
  p99: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function latency(label: string, calls: number, fn: () => Promise<unknown>): Promise<Row> {
  const cold = await timed(fn);
  const warm: number[] = [];
  for (let i = 0; i < calls; i++) warm.push(await timed(fn));
  warm.sort((a, b) => a - b);
  return { label, cold, p50: percentile(warm, 50), p99: percentile(warm, 99) };
}

async function throughput(seconds: number, workers: number, fn: () => Promise<void>): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) {
        await fn();
        done++;
      }
    }),
  );
  return done / seconds;
}

async function main(): Promise<void> {
  const calls = Number(process.env.BENCH_CALLS ?? 40);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const rows: Row[] = [];

  // 1. The sandbox alone. A fresh ToolSandbox per language, so "cold" includes the isolation
  // probe (Python) or loading isolated-vm + the TS compiler (TypeScript).
  const pySandbox = new ToolSandbox();
  const tsSandbox = new ToolSandbox();
  const check = (r: { status: string; funcReturn: string }) => {
    if (r.status !== 'success' || r.funcReturn !== '42')
      throw new Error(`bad tool result: ${JSON.stringify(r)}`);
  };
  const py = () =>
    pySandbox
      .run({ sourceType: 'python', sourceCode: PY, functionName: 'py_echo', args: { x: 41 } })
      .then(check);
  const ts = () =>
    tsSandbox
      .run({ sourceType: 'typescript', sourceCode: TS, functionName: 'ts_echo', args: { x: 41 } })
      .then(check);
  rows.push(await latency('sandbox: python', calls, py));
  rows.push(await latency('sandbox: typescript', calls, ts));
  const isolation = await pySandbox.pythonIsolation();

  // 2. Through the HTTP run endpoint of the real app.
  const { app, config, base } = await startBenchApp();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const agent = await call('POST', '/v1/agents', { model: 'openai/gpt-4o-mini', include_base_tools: false });
  for (const [source_code, source_type] of [
    [PY, 'python'],
    [TS, 'typescript'],
  ]) {
    const tool = await call('PUT', '/v1/tools', { source_code, source_type });
    await call('PATCH', `/v1/agents/${agent.id as string}/tools/attach/${tool.id as string}`);
  }
  const run = (name: string) => async () => {
    const r = await call('POST', `/v1/agents/${agent.id as string}/tools/${name}/run`, { args: { x: 41 } });
    if (r.status !== 'success') throw new Error(`tool failed: ${JSON.stringify(r)}`);
  };
  // Baseline: the same lookups (agent, its tools) without a sandbox run.
  rows.push(
    await latency('GET agent tools (no run)', calls, () =>
      call('GET', `/v1/agents/${agent.id as string}/tools`),
    ),
  );
  rows.push(await latency('run endpoint: python', calls, run('py_echo')));
  rows.push(await latency('run endpoint: typescript', calls, run('ts_echo')));

  const pyRate = await throughput(seconds, 2, run('py_echo'));
  const tsRate = await throughput(seconds, 2, run('ts_echo'));
  await app.close();

  console.log(
    `bench/tools: ${calls} warm calls per case, python isolation=${isolation}, db=${config.database.url ? 'postgres' : 'embedded PGlite'}`,
  );
  console.log(
    ['case', 'cold ms', 'p50 ms', 'p99 ms'].map((h, i) => (i === 0 ? h.padEnd(30) : h.padStart(10))).join(''),
  );
  for (const r of rows) {
    console.log(r.label.padEnd(30) + [r.cold, r.p50, r.p99].map((v) => v.toFixed(1).padStart(10)).join(''));
  }
  console.log(
    `run endpoint, 2 workers, ${seconds}s: python ${pyRate.toFixed(1)} calls/s, typescript ${tsRate.toFixed(1)} calls/s`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
