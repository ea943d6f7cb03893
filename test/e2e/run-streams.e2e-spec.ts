import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { FakeOpenAiServer } from '../support/fake-openai';
import { useLlmApp, Api, newTenant, startTestApp, TestApp } from '../support/app';
import { WsClient } from '../support/ws-client';

const MODEL = 'openai/gpt-4o-mini';
const root = join(__dirname, '../..');
const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SECRETS = { ENGRAM_SECRETS_KEY: 'run-streams-test-secrets-key-0123456789' };

/** Reads SSE events from a response as they arrive; stops after `take` events when given. */
async function readEvents(res: Response, take = Infinity): Promise<any[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: any[] = [];
  let buffer = '';
  while (events.length < take) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0 && events.length < take) {
      const frame = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      if (!frame.startsWith('data: ')) continue;
      const data = frame.slice(6);
      events.push(data === '[DONE]' ? '[DONE]' : JSON.parse(data));
    }
  }
  await reader.cancel().catch(() => undefined);
  return events;
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await sleep(50);
  }
}

function post(baseUrl: string, path: string, userId: string, body: unknown, signal?: AbortSignal) {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', user_id: userId },
    body: JSON.stringify(body),
    signal,
  });
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

/** seq_ids 1..n, once each, in order. */
function expectContiguous(events: any[]) {
  const seqs = events.filter((e) => e !== '[DONE]' && e.message_type !== 'ping').map((e) => e.seq_id);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
}

describe('run streams in one process (e2e)', () => {
  const ctx = useLlmApp('streams');

  it('numbers every live chunk with seq_id, and a resume continues with no gap or duplicate', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    ctx.fake.enqueue({ content: words(30), chunkDelayMs: 5 });
    const res = await post(ctx.t.baseUrl, `/v1/agents/${agent.id}/messages/stream`, ctx.api.userId, {
      input: 'go',
      stream_tokens: true,
    });
    expect(res.status).toBe(200);
    const live = await readEvents(res);
    expect(live.at(-1)).toBe('[DONE]');
    expectContiguous(live);
    const chunks = live.filter((e) => e !== '[DONE]');
    expect(chunks.filter((e) => e.message_type === 'assistant_message').length).toBeGreaterThan(10);
    expect(chunks.at(-2)).toMatchObject({ message_type: 'stop_reason', stop_reason: 'end_turn' });
    const runId = chunks[0].run_id as string;
    const resumed = await readEvents(
      await post(ctx.t.baseUrl, `/v1/runs/${runId}/stream`, ctx.api.userId, { starting_after: 7 }),
    );
    expect(resumed.filter((e) => e !== '[DONE]')).toEqual(chunks.slice(7));
  });

  it('sends Letta pings with id and date when include_pings is set', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    ctx.fake.enqueue({ content: 'slow answer', delayMs: 5_600 });
    const events = await readEvents(
      await post(ctx.t.baseUrl, `/v1/agents/${agent.id}/messages/stream`, ctx.api.userId, {
        input: 'hi',
        include_pings: true,
      }),
    );
    const ping = events.find((e) => e.message_type === 'ping');
    expect(ping).toMatchObject({ id: expect.stringMatching(/^ping-/), date: expect.any(String) });
    expect(Number.isNaN(Date.parse(ping.date))).toBe(false);
    expect(events.at(-1)).toBe('[DONE]');
  }, 20_000);

  it('runs a background stream as a queued job and answers 404 for another tenant’s run', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    ctx.fake.enqueue({ content: 'queued reply' });
    const events = await readEvents(
      await post(ctx.t.baseUrl, `/v1/agents/${agent.id}/messages/stream`, ctx.api.userId, {
        input: 'hi',
        background: true,
      }),
    );
    expectContiguous(events);
    const runId = events[0].run_id as string;
    expect((await ctx.api.get(`/v1/runs/${runId}`)).body).toMatchObject({
      status: 'completed',
      background: true,
    });
    const other = await newTenant(new Api(ctx.t.baseUrl), 'other');
    const res = await post(ctx.t.baseUrl, `/v1/runs/${runId}/stream`, other.userId, {});
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toEqual(expect.any(String));
  });
});

/** `src/worker.ts` as its own OS process, so the test can kill -9 it. */
async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', './bench/register.js', 'src/worker.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 90_000);
    const onData = (c: Buffer) => {
      output += c.toString();
      if (output.includes('Engram worker started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
  });
  return child;
}

/**
 * Two api replicas that take no jobs and one worker, on one Postgres and one Redis: queued runs
 * execute in the worker, and either api streams, resumes and cancels them through the bus.
 */
(shared ? describe : describe.skip)('two api processes and a worker (e2e)', () => {
  const LEASE = { ENGRAM_RUN_LEASE_MS: '2000', ENGRAM_RUN_SWEEP_MS: '500' };
  let fake: FakeOpenAiServer;
  let a: TestApp;
  let b: TestApp;
  let worker: ChildProcess | undefined;
  let workerEnv: Record<string, string>;
  let userId: string;
  let apiA: Api;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    const llm = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseUrl };
    const apiEnv = { ...llm, ...LEASE, ...SECRETS, ENGRAM_PROCESS_JOBS: 'false' };
    workerEnv = {
      ...llm,
      ...LEASE,
      ...SECRETS,
      DATABASE_URL: process.env.DATABASE_URL!,
      ENGRAM_MIGRATE_ON_START: 'false',
      REDIS_URL: process.env.REDIS_URL!,
      ENGRAM_REDIS_PREFIX: process.env.ENGRAM_REDIS_PREFIX!,
      ENGRAM_METRICS_PORT: '0',
    };
    [a, b, worker] = await Promise.all([startTestApp(apiEnv), startTestApp(apiEnv), startWorker(workerEnv)]);
    const tenant = await newTenant(new Api(a.baseUrl), 'distributed');
    userId = tenant.userId;
    apiA = tenant;
  }, 120_000);
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await Promise.all([a?.close(), b?.close()]);
    await fake.close();
  });

  it('streams a background run from the worker on A, and resumes it on B with no gap or duplicate', async () => {
    const agent = (await apiA.post('/v1/agents', { model: MODEL })).body;
    fake.enqueue({ content: words(60), chunkDelayMs: 20 });
    const drop = new AbortController();
    const first = await readEvents(
      await post(
        a.baseUrl,
        `/v1/agents/${agent.id}/messages/stream`,
        userId,
        {
          input: 'go',
          background: true,
          stream_tokens: true,
        },
        drop.signal,
      ),
      10,
    );
    drop.abort();
    expectContiguous(first);
    const runId = first[0].run_id as string;
    const rest = await readEvents(
      await post(b.baseUrl, `/v1/runs/${runId}/stream`, userId, { starting_after: first.at(-1).seq_id }),
    );
    expect(rest.at(-1)).toBe('[DONE]');
    const all = [...first, ...rest];
    expectContiguous(all);
    const text = all
      .filter((e) => e.message_type === 'assistant_message')
      .map((e) => e.content)
      .join('');
    expect(text).toBe(words(60));
    expect(all.at(-3)).toMatchObject({ message_type: 'stop_reason', stop_reason: 'end_turn' });
    const run = (await new Api(b.baseUrl, { user_id: userId }).get(`/v1/runs/${runId}`)).body;
    expect(run).toMatchObject({ status: 'completed', background: true });
  }, 60_000);

  it('a /ws socket on B subscribed to an agent follows a run sent on A and executed by the worker', async () => {
    const agent = (await apiA.post('/v1/agents', { model: MODEL })).body;
    const socket = await WsClient.connect(`${b.baseUrl}/ws`, { headers: { user_id: userId } });
    try {
      socket.send({ type: 'subscribe', agent_id: agent.id });
      await socket.next((e) => e.type === 'subscribed');
      fake.enqueue({ content: 'from the worker', chunkDelayMs: 5 });
      const run = (await apiA.post(`/v1/agents/${agent.id}/messages/async`, { input: 'hi' })).body;
      const end = await socket.next((e) => e.type === 'agent_response_end', 20_000);
      expect(end).toEqual({ type: 'agent_response_end', run_id: run.id, stop_reason: 'end_turn' });
      const responses = socket.events.filter((e) => e.type === 'agent_response');
      expect(responses.map((e) => e.message_type)).toEqual([
        'assistant_message',
        'stop_reason',
        'usage_statistics',
      ]);
      expect(responses[0]).toMatchObject({ message: 'from the worker', run_id: run.id, seq_id: 1 });
    } finally {
      socket.close();
    }
  }, 60_000);

  it('cancels from B a run the worker executes; its agent takes the next message at once', async () => {
    const agent = (await apiA.post('/v1/agents', { model: MODEL })).body;
    let reached!: () => void;
    const called = new Promise<void>((r) => (reached = r));
    fake.enqueue(async () => {
      reached();
      await sleep(30_000);
      return { content: 'too late' };
    });
    const run = (await apiA.post(`/v1/agents/${agent.id}/messages/async`, { input: 'slow' })).body;
    await called;
    const onB = new Api(b.baseUrl, { user_id: userId });
    const cancelled = await onB.post(`/v1/agents/${agent.id}/messages/cancel`, { run_ids: [run.id] });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ [run.id]: 'cancelled' });
    fake.enqueue({ content: 'next answer' });
    const started = Date.now();
    const next = await onB.post(`/v1/agents/${agent.id}/messages`, { input: 'next' });
    expect(next.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(next.body.messages.at(-1)).toMatchObject({
      message_type: 'assistant_message',
      content: 'next answer',
    });
    expect((await onB.get(`/v1/runs/${run.id}`)).body).toMatchObject({
      status: 'cancelled',
      stop_reason: 'cancelled',
    });
  }, 60_000);

  it('a worker killed with -9 mid-run: the run fails process_lost, followers end, nothing is duplicated', async () => {
    const agent = (await apiA.post('/v1/agents', { model: MODEL })).body;
    fake.enqueue({ content: 'first answer' });
    expect((await apiA.post(`/v1/agents/${agent.id}/messages/async`, { input: 'one' })).status).toBe(200);
    await until(
      () => apiA.get(`/v1/agents/${agent.id}/messages?order=asc`),
      (r) => r.body.some((m: any) => m.content === 'first answer'),
    );
    let reached!: () => void;
    const called = new Promise<void>((r) => (reached = r));
    fake.enqueue(async () => {
      reached();
      await sleep(60_000);
      return { content: 'never seen' };
    });
    const run = (await apiA.post(`/v1/agents/${agent.id}/messages/async`, { input: 'two' })).body;
    await called;
    const follower = post(b.baseUrl, `/v1/runs/${run.id}/stream`, userId, {}).then((r) => readEvents(r));
    worker!.kill('SIGKILL');
    const events = await follower;
    expect(events.slice(-3)).toEqual([
      expect.objectContaining({ message_type: 'error_message', error_type: 'process_lost' }),
      expect.objectContaining({ message_type: 'stop_reason', stop_reason: 'error' }),
      '[DONE]',
    ]);
    expectContiguous(events);
    expect((await apiA.get(`/v1/runs/${run.id}`)).body).toMatchObject({
      status: 'failed',
      stop_reason: 'error',
    });

    worker = await startWorker(workerEnv);
    fake.enqueue({ content: 'third answer' });
    expect((await apiA.post(`/v1/agents/${agent.id}/messages/async`, { input: 'three' })).status).toBe(200);
    const history = await until(
      () => apiA.get(`/v1/agents/${agent.id}/messages?order=asc&limit=100`),
      (r) => r.body.some((m: any) => m.content === 'third answer'),
      30_000,
    );
    const said = history.body
      .filter((m: any) => m.message_type !== 'system_message')
      .map((m: any) => m.content);
    // The killed run committed nothing (its step never finished); nothing ran twice.
    expect(said).toEqual(['one', 'first answer', 'three', 'third answer']);
  }, 120_000);

  it('a worker sent SIGTERM mid-run finishes the run, leaves queued jobs for the next worker and exits 0 (needs a separate worker: not in embedded mode)', async () => {
    // One run at a time, so the second job is still waiting in the queue when the signal comes.
    worker!.kill('SIGTERM');
    await new Promise((r) => worker!.once('exit', r));
    const busy = await startWorker({
      ...workerEnv,
      ENGRAM_RUN_CONCURRENCY: '1',
      ENGRAM_SHUTDOWN_GRACE_MS: '15000',
    });
    worker = busy;
    const exited = new Promise<number | null>((r) => busy.once('exit', (code) => r(code)));
    const [x, y] = [
      (await apiA.post('/v1/agents', { model: MODEL })).body,
      (await apiA.post('/v1/agents', { model: MODEL })).body,
    ];
    let reached!: () => void;
    const called = new Promise<void>((r) => (reached = r));
    fake.enqueue(async () => {
      reached();
      await sleep(800);
      return { content: 'finished after the signal' };
    });
    const running = (await apiA.post(`/v1/agents/${x.id}/messages/async`, { input: 'one' })).body;
    await called;
    const queued = (await apiA.post(`/v1/agents/${y.id}/messages/async`, { input: 'two' })).body;
    const signalled = Date.now();
    busy.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(15_000);
    // The run in flight finished and committed; the queued one was not taken.
    expect((await apiA.get(`/v1/runs/${running.id}`)).body).toMatchObject({
      status: 'completed',
      stop_reason: 'end_turn',
    });
    expect((await apiA.get(`/v1/runs/${queued.id}`)).body.status).toBe('created');
    const said = async (agentId: string) =>
      (await apiA.get(`/v1/agents/${agentId}/messages?order=asc&limit=100`)).body
        .filter((m: any) => m.message_type !== 'system_message')
        .map((m: any) => m.content);
    expect(await said(x.id)).toEqual(['one', 'finished after the signal']);

    // The next worker takes the job that was left in the queue; nothing ran twice.
    worker = await startWorker(workerEnv);
    fake.enqueue({ content: 'taken by the next worker' });
    await until(
      () => apiA.get(`/v1/runs/${queued.id}`),
      (r) => r.body.status === 'completed',
      30_000,
    );
    expect(await said(y.id)).toEqual(['two', 'taken by the next worker']);
    expect(await said(x.id)).toEqual(['one', 'finished after the signal']);
  }, 120_000);

  it('a worker sent SIGTERM during a run longer than the grace period cuts it: cancelled, its committed step kept, exit 0 in time (needs a separate worker: not in embedded mode)', async () => {
    worker!.kill('SIGTERM');
    await new Promise((r) => worker!.once('exit', r));
    const short = await startWorker({ ...workerEnv, ENGRAM_SHUTDOWN_GRACE_MS: '2000' });
    worker = short;
    const exited = new Promise<number | null>((r) => short.once('exit', (code) => r(code)));
    const agent = (await apiA.post('/v1/agents', { model: MODEL })).body;
    // Step 1 edits memory (committed); step 2's LLM call outlasts the grace period.
    fake.enqueue({
      toolCalls: [{ name: 'memory_insert', arguments: { label: 'human', new_string: 'likes tea' } }],
    });
    let reached!: () => void;
    const called = new Promise<void>((r) => (reached = r));
    fake.enqueue(async () => {
      reached();
      await sleep(30_000);
      return { content: 'never seen' };
    });
    const run = (await apiA.post(`/v1/agents/${agent.id}/messages/async`, { input: 'remember tea' })).body;
    await called;
    const signalled = Date.now();
    short.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(4_000);
    expect((await apiA.get(`/v1/runs/${run.id}`)).body).toMatchObject({
      status: 'cancelled',
      stop_reason: 'cancelled',
    });
    const history = (await apiA.get(`/v1/runs/${run.id}/messages`)).body;
    expect(history.map((m: any) => m.message_type)).toEqual([
      'user_message',
      'tool_call_message',
      'tool_return_message',
    ]);
    expect(history[1].tool_call.name).toBe('memory_insert');
    worker = await startWorker(workerEnv);
  }, 120_000);
});
