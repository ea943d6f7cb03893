/**
 * bench/step: latency and throughput of the agent loop through HTTP, with the fake LLM.
 *   1. instant LLM: p50/p99 and msgs/s of a 1-step message and a 3-step one
 *      (memory tool → search tool → reply), sequential then 8 agents in parallel;
 *   2. 300 ms LLM: 200 agents × 5 messages concurrently, throughput as % of ideal
 *      (ideal: every agent's 5 messages back to back at the LLM's latency, nothing else).
 * The baseline, measured first in the same run: the same work done directly — one LLM round trip
 * through the OpenAI SDK, then one transaction of 3 inserts (run, message, step) — and the
 * sequential cases print their p50 as a ratio of it.
 *
 * The server runs in a process of its own (bench/server.ts), as in production; this process
 * holds the load and the fake LLM. Every sequential case also prints the SQL round trips and the
 * server's CPU time per message (the SQL counted by a hook on pg's client in the server;
 * BENCH_SQL=1 lists the statements of one message). With DATABASE_URL set, the same cases then
 * run again on the embedded database (BENCH_EMBEDDED=0 skips that pass).
 *
 *   npm run bench:step                      # embedded Postgres
 *   DATABASE_URL=postgres://... npm run bench:step
 * Env: BENCH_N (messages per latency case, default 200), BENCH_AGENTS (default 200),
 *      BENCH_WARMUP (messages sent to a warm-up agent before the cases, default 200),
 *      BENCH_CASES (default all: a comma list of 1s, 3s, 1p, 3p, slow, the cases below in order),
 *      BENCH_PROFILE=<dir> has the server write a CPU profile of each sequential case and of the 300 ms one there.
 */
import 'reflect-metadata';
import OpenAI from 'openai';
import { Client } from 'pg';
import { FakeOpenAiServer } from '../test/support/fake-openai';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { loadAverage, percentile, postJson, rerunEmbedded, startBenchServer } from './support';

/** p50/p99 of the direct work: an SDK chat completion, then BEGIN, 3 INSERTs, COMMIT. */
async function directBaseline(fakeUrl: string, n: number): Promise<number[]> {
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: 'memory://' });
  const db = new Client({ connectionString: process.env.DATABASE_URL ?? embedded!.url });
  await db.connect();
  const table = `bench_direct_${process.pid}`;
  await db.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, kind text NOT NULL, body jsonb NOT NULL)`);
  const llm = new OpenAI({ apiKey: 'bench', baseURL: fakeUrl });
  const times: number[] = [];
  try {
    for (let i = 0; i < n + 20; i++) {
      const t = performance.now();
      const reply = await llm.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `message ${i}` }],
      });
      await db.query('BEGIN');
      for (const kind of ['run', 'message', 'step'])
        await db.query(`INSERT INTO ${table} (kind, body) VALUES ($1, $2)`, [kind, JSON.stringify(reply)]);
      await db.query('COMMIT');
      if (i >= 20) times.push(performance.now() - t);
    }
  } finally {
    await db.query(`DROP TABLE ${table}`);
    await db.end();
    await embedded?.stop();
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_N ?? 200);
  const agentsN = Number(process.env.BENCH_AGENTS ?? 200);
  const warmups = Number(process.env.BENCH_WARMUP ?? 200);
  const fake = await FakeOpenAiServer.start({ record: false, defaultReply: { content: 'ok' } });
  const direct = await directBaseline(fake.baseUrl, n);
  const server = await startBenchServer({
    OPENAI_API_KEY: 'bench',
    OPENAI_BASE_URL: fake.baseUrl,
    DB_POOL_SIZE: process.env.DB_POOL_SIZE ?? '20',
  });
  const profileDir = process.env.BENCH_PROFILE;
  const { base } = server;
  const post = async (path: string, body: unknown) =>
    (await postJson(base, path, body)).json() as Promise<any>;
  const newAgent = () =>
    post('/v1/agents', {
      model: 'openai/gpt-4o-mini',
      memory_blocks: [{ label: 'human', value: 'Name: Sam' }],
    });

  // A scripted model: 3-step messages ask for a memory edit, then a search, then reply.
  fake.defaultReply = (req: any) => {
    const msgs = req.body.messages;
    const user = [...msgs].reverse().find((m: any) => m.role === 'user');
    const multi = JSON.stringify(user?.content ?? '').includes('[3]');
    if (!multi) return { content: 'ok' };
    const tools = msgs.slice(msgs.lastIndexOf(user)).filter((m: any) => m.role === 'tool').length;
    if (tools === 0)
      return {
        toolCalls: [{ name: 'memory_insert', arguments: { label: 'human', new_string: 'likes tea' } }],
      };
    if (tools === 1) return { toolCalls: [{ name: 'conversation_search', arguments: { query: 'tea' } }] };
    return { content: 'noted' };
  };

  // A server that has run for a while: its code compiled by the JIT and its lazy set-up (the tool
  // sandbox's warm-up, first connections, prepared statements) done, so the cases below measure
  // what each message costs, not the process's first seconds.
  const warm = await newAgent();
  for (let i = 0; i < warmups; i++)
    await post(`/v1/agents/${warm.id}/messages`, {
      input: i % 4 === 3 ? `[3] warm-up ${i}` : `warm-up ${i}`,
    });
  await server.take();

  const directP50 = percentile(direct, 50);
  console.log(
    `bench/step: db=${server.db}, server in its own process, fake LLM on loopback, ${n} messages per latency case, load average ${loadAverage()}`,
  );
  console.log(
    `${'baseline: SDK LLM call + 3-insert transaction'.padEnd(44)} p50 ${directP50.toFixed(1).padStart(6)} ms  p99 ${percentile(direct, 99).toFixed(1).padStart(6)} ms`,
  );
  const latencyCase = async (label: string, steps: 1 | 3, parallel: number) => {
    const agents = await Promise.all(Array.from({ length: parallel }, newAgent));
    // One message each first: the agents' first runs (and the server's code paths) warmed up.
    await Promise.all(
      agents.map((a) => post(`/v1/agents/${a.id}/messages`, { input: steps === 3 ? '[3] hi' : 'hi' })),
    );
    const times: number[] = [];
    await server.take();
    if (profileDir && parallel === 1) await server.profile();
    const started = performance.now();
    await Promise.all(
      agents.map(async (a, w) => {
        for (let i = w; i < n; i += parallel) {
          const t = performance.now();
          const r = await post(`/v1/agents/${a.id}/messages`, {
            input: steps === 3 ? `[3] message ${i}` : `message ${i}`,
          });
          times.push(performance.now() - t);
          if (r.usage.step_count !== steps)
            throw new Error(`expected ${steps} steps, got ${r.usage.step_count}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    if (profileDir && parallel === 1) await server.profile(`${profileDir}/step-${steps}.cpuprofile`);
    const { sql, cpuMs, sysMs } = await server.take();
    times.sort((x, y) => x - y);
    const p50 = percentile(times, 50);
    const perMessage =
      parallel === 1
        ? `  ${(sql.length / n).toFixed(1).padStart(4)} SQL/msg  server CPU ${(cpuMs / n).toFixed(2)} ms/msg (${(sysMs / n).toFixed(2)} sys)  p50 ${(p50 / directP50).toFixed(1)}x baseline`
        : `  server CPU ${(cpuMs / n).toFixed(2)} ms/msg (${(sysMs / n).toFixed(2)} sys)`;
    console.log(
      `${label.padEnd(44)} p50 ${p50.toFixed(1).padStart(6)} ms  p99 ${percentile(times, 99)
        .toFixed(1)
        .padStart(6)} ms  ${(n / seconds).toFixed(1).padStart(7)} msgs/s${perMessage}`,
    );
    if (process.env.BENCH_SQL && parallel === 1) {
      await post(`/v1/agents/${agents[0].id}/messages`, { input: steps === 3 ? '[3] listed' : 'listed' });
      for (const q of (await server.take()).sql) console.log(`    ${q.slice(0, 160)}`);
    }
  };
  const cases = new Set((process.env.BENCH_CASES ?? '1s,3s,1p,3p,slow').split(','));
  if (cases.has('1s')) await latencyCase('1-step, sequential', 1, 1);
  if (cases.has('3s')) await latencyCase('3-step (memory, search, reply), sequential', 3, 1);
  if (cases.has('1p')) await latencyCase('1-step, 8 agents in parallel', 1, 8);
  if (cases.has('3p')) await latencyCase('3-step, 8 agents in parallel', 3, 8);
  // Throughput under a slow LLM: the server should overlap waiting agents almost perfectly.
  if (cases.has('slow')) {
    fake.latencyMs = 300;
    fake.defaultReply = { content: 'ok' };
    const perAgent = 5;
    const agents: { id: string }[] = [];
    for (let i = 0; i < agentsN; i += 20)
      agents.push(...(await Promise.all(Array.from({ length: Math.min(20, agentsN - i) }, newAgent))));
    await server.take();
    if (profileDir) await server.profile();
    const started = performance.now();
    await Promise.all(
      agents.map(async (a) => {
        for (let i = 0; i < perAgent; i++) await post(`/v1/agents/${a.id}/messages`, { input: `hello ${i}` });
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    if (profileDir) await server.profile(`${profileDir}/step-300ms.cpuprofile`);
    const { cpuMs } = await server.take();
    const ideal = perAgent * 0.3;
    const total = agentsN * perAgent;
    console.log(
      `300 ms LLM, ${agentsN} agents x ${perAgent} msgs: ${seconds.toFixed(2)} s for ${total} msgs = ${(total / seconds).toFixed(1)} msgs/s; ideal ${ideal.toFixed(2)} s -> ${((ideal / seconds) * 100).toFixed(1)}% of ideal; server CPU ${(cpuMs / total).toFixed(2)} ms/msg (load average ${loadAverage()})`,
    );
  }

  await server.close();
  await fake.close();
  if (process.env.DATABASE_URL && process.env.BENCH_EMBEDDED !== '0') await rerunEmbedded('bench/step.ts');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
