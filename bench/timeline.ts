/**
 * bench/timeline: where a 1-step message's time goes, as a timeline of one message — the
 * median offset (from the client's send) of each mark: request in, each SQL statement sent and
 * answered (a hook on pg's client), the fake LLM's request, response finished, reply received —
 * and the median gap from the mark before. Sequential messages to one agent, after a warm-up.
 *
 *   npm run bench:timeline                      # embedded Postgres
 *   DATABASE_URL=postgres://... npm run bench:timeline
 * Env: BENCH_N (messages, default 200; the first 20 are warm-up), BENCH_STEPS=3 for bench/step's
 *      3-step message (memory edit, search, reply), BENCH_PROFILE=<file> writes a
 *      CPU profile (.cpuprofile) of the measured messages.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Client } from 'pg';
import { FakeOpenAiServer } from '../test/support/fake-openai';
import { loadAverage, postJson, startBenchApp } from './support';

type Mark = [at: number, what: string];
const WARMUP = 20;

let marks: Mark[] = [];
const mark = (what: string) => marks.push([performance.now(), what]);

/** Marks every statement the app sends, and its answer (background trace writes left out). */
function hookQueries(): void {
  const proto = Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0];
    const text = (typeof q === 'string' ? q : ((q as { text?: string })?.text ?? '?'))
      .replace(/\s+/g, ' ')
      .trim();
    if (text.includes('provider_traces')) return original.apply(this, args);
    const label = text.slice(0, 60);
    mark(`sql> ${label}`);
    // pg's Pool passes a callback (no promise comes back): its answer is marked through it.
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (err: unknown, ...rest: unknown[]) => void;
      args[last] = (err: unknown, ...rest: unknown[]) => {
        mark(`sql${err ? '!' : '<'} ${label}`);
        callback(err, ...rest);
      };
    }
    const result = original.apply(this, args) as Promise<unknown> | undefined;
    result?.then?.(
      () => mark(`sql< ${label}`),
      () => mark(`sql! ${label}`),
    );
    return result;
  };
}

async function main(): Promise<void> {
  hookQueries();
  const n = Number(process.env.BENCH_N ?? 200);
  const threeSteps = process.env.BENCH_STEPS === '3';
  const fake = await FakeOpenAiServer.start({
    record: false,
    defaultReply: (req) => {
      mark('llm request');
      if (!threeSteps) return { content: 'ok' };
      // As bench/step's 3-step message: a memory edit, then a search, then the reply.
      const msgs = req.body.messages as { role: string }[];
      const tools = msgs.slice(msgs.map((m) => m.role).lastIndexOf('user')).filter((m) => m.role === 'tool');
      if (tools.length === 0)
        return {
          toolCalls: [{ name: 'memory_insert', arguments: { label: 'human', new_string: 'likes tea' } }],
        };
      if (tools.length === 1)
        return { toolCalls: [{ name: 'conversation_search', arguments: { query: 'tea' } }] };
      return { content: 'noted' };
    },
  });
  const { app, config, base } = await startBenchApp({
    OPENAI_API_KEY: 'bench',
    OPENAI_BASE_URL: fake.baseUrl,
  });
  const server = app.getHttpServer();
  server.prependListener('request', (_req: unknown, res: { on(e: string, f: () => void): void }) => {
    mark('request in');
    res.on('finish', () => mark('response finished'));
  });
  const post = async (path: string, body: unknown) =>
    (await postJson(base, path, body)).json() as Promise<{ id: string }>;
  const agent = await post('/v1/agents', {
    model: 'openai/gpt-4o-mini',
    memory_blocks: [{ label: 'human', value: 'Name: Sam' }],
  });

  const session = new Session();
  session.connect();
  const profile = process.env.BENCH_PROFILE;
  if (profile) await session.post('Profiler.enable');
  const runs: Mark[][] = [];
  for (let i = 0; i < n; i++) {
    if (i === WARMUP && profile) await session.post('Profiler.start');
    marks = [];
    mark('client send');
    await post(`/v1/agents/${agent.id}/messages`, { input: `message ${i}` });
    mark('reply received');
    if (i >= WARMUP) runs.push(marks);
  }
  if (profile) {
    const { profile: taken } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(taken));
  }
  session.disconnect();

  // Messages whose marks came in another order (rare) are left out of the medians.
  const shape = (r: Mark[]) => r.map(([, what]) => what).join('|');
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(shape(r), (counts.get(shape(r)) ?? 0) + 1);
  const common = [...counts].sort((a, b) => b[1] - a[1])[0][0];
  const same = runs.filter((r) => shape(r) === common);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const db = config.database.url ? 'postgres' : 'embedded PGlite';
  console.log(
    `bench/timeline: db=${db}, ${same.length} of ${runs.length} messages with the same marks, load average ${loadAverage()}`,
  );
  console.log('  offset      gap   mark');
  for (let k = 0; k < same[0].length; k++) {
    const offset = median(same.map((r) => r[k][0] - r[0][0]));
    const gap = median(same.map((r) => (k ? r[k][0] - r[k - 1][0] : 0)));
    console.log(`${offset.toFixed(2).padStart(8)} ms ${gap.toFixed(2).padStart(6)}   ${same[0][k][1]}`);
  }
  await app.close();
  await fake.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
