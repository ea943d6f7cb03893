/**
 * bench/step: latency and throughput of the agent loop through HTTP, with the fake LLM.
 *   1. instant LLM: p50/p99 and msgs/s of a 1-step message and a 3-step one
 *      (memory tool → search tool → reply), sequential then 8 agents in parallel;
 *   2. 300 ms LLM: 200 agents × 5 messages concurrently, throughput as % of ideal
 *      (ideal: every agent's 5 messages back to back at the LLM's latency, nothing else).
 *
 * Every sequential case also prints the SQL round trips per message, counted by a hook on pg's
 * client (BENCH_SQL=1 lists the statements of one message). With DATABASE_URL set, the same
 * cases then run again on the embedded database (BENCH_EMBEDDED=0 skips that pass).
 *
 *   npm run bench:step                      # embedded Postgres
 *   DATABASE_URL=postgres://... npm run bench:step
 * Env: BENCH_N (messages per latency case, default 200), BENCH_AGENTS (default 200).
 */
import 'reflect-metadata';
import { FakeOpenAiServer } from '../test/support/fake-openai';
import { loadAverage, percentile, postJson, queryCounter, rerunEmbedded, startBenchApp } from './support';

async function main(): Promise<void> {
  const queries = queryCounter();
  const n = Number(process.env.BENCH_N ?? 200);
  const agentsN = Number(process.env.BENCH_AGENTS ?? 200);
  const fake = await FakeOpenAiServer.start({ record: false, defaultReply: { content: 'ok' } });
  const { app, config, base } = await startBenchApp({
    OPENAI_API_KEY: 'bench',
    OPENAI_BASE_URL: fake.baseUrl,
    DB_POOL_SIZE: process.env.DB_POOL_SIZE ?? '20',
  });
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

  const db = config.database.url ? 'postgres' : 'embedded PGlite';
  console.log(
    `bench/step: db=${db}, fake LLM on loopback, ${n} messages per latency case, load average ${loadAverage()}`,
  );
  const latencyCase = async (label: string, steps: 1 | 3, parallel: number) => {
    const agents = await Promise.all(Array.from({ length: parallel }, newAgent));
    const times: number[] = [];
    queries.take();
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
    const sql = queries.take();
    times.sort((x, y) => x - y);
    const perMessage = parallel === 1 ? `  ${(sql.length / n).toFixed(1).padStart(5)} SQL/msg` : '';
    console.log(
      `${label.padEnd(40)} p50 ${percentile(times, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(times, 99)
        .toFixed(1)
        .padStart(
          6,
        )} ms  ${(n / seconds).toFixed(1).padStart(7)} msgs/s  ${((n * steps) / seconds).toFixed(1).padStart(7)} steps/s${perMessage}`,
    );
    if (process.env.BENCH_SQL && parallel === 1) {
      const a = agents[0];
      queries.take();
      await post(`/v1/agents/${a.id}/messages`, { input: steps === 3 ? '[3] listed' : 'listed' });
      for (const q of queries.take()) console.log(`    ${q.slice(0, 160)}`);
    }
  };
  await latencyCase('1-step, sequential', 1, 1);
  await latencyCase('3-step (memory, search, reply), sequential', 3, 1);
  await latencyCase('1-step, 8 agents in parallel', 1, 8);
  await latencyCase('3-step, 8 agents in parallel', 3, 8);

  // Throughput under a slow LLM: the server should overlap waiting agents almost perfectly.
  fake.latencyMs = 300;
  fake.defaultReply = { content: 'ok' };
  const perAgent = 5;
  const agents: { id: string }[] = [];
  for (let i = 0; i < agentsN; i += 20)
    agents.push(...(await Promise.all(Array.from({ length: Math.min(20, agentsN - i) }, newAgent))));
  const started = performance.now();
  await Promise.all(
    agents.map(async (a) => {
      for (let i = 0; i < perAgent; i++) await post(`/v1/agents/${a.id}/messages`, { input: `hello ${i}` });
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const ideal = perAgent * 0.3;
  const total = agentsN * perAgent;
  console.log(
    `300 ms LLM, ${agentsN} agents x ${perAgent} msgs: ${seconds.toFixed(2)} s for ${total} msgs = ${(total / seconds).toFixed(1)} msgs/s; ideal ${ideal.toFixed(2)} s -> ${((ideal / seconds) * 100).toFixed(1)}% of ideal (load average ${loadAverage()})`,
  );

  await app.close();
  await fake.close();
  if (config.database.url && process.env.BENCH_EMBEDDED !== '0') await rerunEmbedded('bench/step.ts');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
