import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';

/** Reads an SSE response into its JSON events (and the [DONE] marker). */
async function readSse(res: Response): Promise<any[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6))
    .map((d) => (d === '[DONE]' ? '[DONE]' : JSON.parse(d)));
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('streams, async runs, cancel, steps (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'ok' } });
    t = await startTestApp({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseUrl });
    api = await newTenant(new Api(t.baseUrl), 'runs');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const newAgent = async (body: Record<string, unknown> = {}) =>
    (await api.post('/v1/agents', { model: MODEL, ...body })).body;

  const post = (path: string, body: unknown) =>
    fetch(`${t.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', user_id: api.userId },
      body: JSON.stringify(body),
    });

  it('streams Letta messages as SSE, then stop_reason, usage_statistics and [DONE]', async () => {
    const a = await newAgent();
    fake.enqueue(
      { toolCalls: [{ name: 'archival_memory_search', arguments: { query: 'x' } }] },
      { content: 'Streamed answer.' },
    );
    const res = await post(`/v1/agents/${a.id}/messages/stream`, { input: 'hello' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = await readSse(res);
    expect(events.at(-1)).toBe('[DONE]');
    const types = events.slice(0, -1).map((e) => e.message_type);
    expect(types).toEqual([
      'tool_call_message',
      'tool_return_message',
      'assistant_message',
      'stop_reason',
      'usage_statistics',
    ]);
    expect(events[2].content).toBe('Streamed answer.');
    expect(events[3].stop_reason).toBe('end_turn');
  });

  it('streams token deltas with stream_tokens, all under one message id', async () => {
    const a = await newAgent();
    fake.enqueue({ content: 'one two three four five six', chunkDelayMs: 2 });
    const res = await post(`/v1/agents/${a.id}/messages`, {
      input: 'count',
      streaming: true,
      stream_tokens: true,
    });
    const events = (await readSse(res)).filter((e) => e !== '[DONE]');
    const deltas = events.filter((e) => e.message_type === 'assistant_message');
    expect(deltas.length).toBeGreaterThan(1);
    expect(new Set(deltas.map((d) => d.id)).size).toBe(1);
    expect(deltas.map((d) => d.content).join('')).toBe('one two three four five six');
  });

  it('runs an async message in the background through its whole lifecycle', async () => {
    const a = await newAgent();
    fake.enqueue({ content: 'background answer', delayMs: 300 });
    const res = await api.post(`/v1/agents/${a.id}/messages/async`, { input: 'later please' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^run-/), agent_id: a.id, background: true });
    expect(['created', 'running']).toContain(res.body.status);
    const done = await until(
      () => api.get(`/v1/runs/${res.body.id}`),
      (r) => r.body.status === 'completed',
    );
    expect(done.body).toMatchObject({ status: 'completed', stop_reason: 'end_turn' });
    expect(done.body.total_duration_ns).toBeGreaterThan(0);
    const msgs = await api.get(`/v1/runs/${res.body.id}/messages`);
    expect(msgs.body.map((m: any) => m.message_type)).toEqual(['user_message', 'assistant_message']);
    const steps = await api.get(`/v1/runs/${res.body.id}/steps`);
    expect(steps.body).toHaveLength(1);
    const step = await api.get(`/v1/steps/${steps.body[0].id}`);
    expect(step.body).toMatchObject({ run_id: res.body.id, agent_id: a.id, status: 'success' });
    const fb = await api.patch(`/v1/steps/${step.body.id}/feedback`, { feedback: 'positive' });
    expect(fb.body.feedback).toBe('positive');
    expect((await api.patch(`/v1/steps/${step.body.id}/feedback`, { feedback: 'meh' })).status).toBe(422);
    const stepMsgs = await api.get(`/v1/steps/${step.body.id}/messages`);
    expect(stepMsgs.body.map((m: any) => m.message_type)).toEqual(['user_message', 'assistant_message']);
    const listed = await api.get(`/v1/runs?agent_id=${a.id}`);
    expect(listed.body.map((r: any) => r.id)).toContain(res.body.id);
    // Replaying the finished run's stream gives the same messages and its stop reason.
    const replay = (await readSse(await post(`/v1/runs/${res.body.id}/stream`, {}))).filter(
      (e) => e !== '[DONE]',
    );
    expect(replay.map((e) => e.message_type)).toEqual([
      'assistant_message',
      'stop_reason',
      'usage_statistics',
    ]);
    const resumed = (
      await readSse(await post(`/v1/runs/${res.body.id}/stream`, { starting_after: 1 }))
    ).filter((e) => e !== '[DONE]');
    expect(resumed.map((e) => e.message_type)).toEqual(['stop_reason', 'usage_statistics']);
  });

  it('cancels an active run at its next step boundary', async () => {
    const a = await newAgent({ agent_type: 'memgpt_v2_agent' });
    fake.enqueue(
      {
        toolCalls: [{ name: 'conversation_search', arguments: { query: 'a', request_heartbeat: true } }],
        delayMs: 400,
      },
      { toolCalls: [{ name: 'send_message', arguments: { message: 'never sent' } }] },
    );
    const run = (await api.post(`/v1/agents/${a.id}/messages/async`, { input: 'slow' })).body;
    await until(
      () => api.get(`/v1/runs/${run.id}`),
      (r) => r.body.status === 'running',
    );
    const cancel = await api.post(`/v1/agents/${a.id}/messages/cancel`, {});
    expect(cancel.status).toBe(200);
    expect(cancel.body).toEqual({ [run.id]: 'cancelled' });
    const final = await until(
      () => api.get(`/v1/runs/${run.id}`),
      (r) => r.body.status === 'cancelled',
    );
    expect(final.body.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 600));
    expect((await api.get(`/v1/runs/${run.id}`)).body.status).toBe('cancelled');
    const history = await api.get(`/v1/agents/${a.id}/messages?order=asc`);
    expect(history.body.some((m: any) => m.content === 'never sent')).toBe(false);
  });

  it('marks the run failed with a clear stop reason when the provider is down', async () => {
    const a = await newAgent();
    fake.enqueue(
      { status: 500, error: 'upstream exploded', headers: { 'retry-after-ms': '1' } },
      {
        status: 500,
        error: 'upstream exploded',
        headers: { 'retry-after-ms': '1' },
      },
    );
    const res = await api.post(`/v1/agents/${a.id}/messages`, { input: 'hi' });
    expect(res.status).toBe(200);
    expect(res.body.stop_reason.stop_reason).toBe('llm_api_error');
    const runId = res.body.usage.run_ids[0];
    const run = await api.get(`/v1/runs/${runId}`);
    expect(run.body).toMatchObject({ status: 'failed', stop_reason: 'llm_api_error' });
    expect(run.body.metadata.error.message).toMatch(/500|exploded|unavailable/i);
  });

  it('keeps runs and steps to their tenant', async () => {
    const a = await newAgent();
    const res = await api.post(`/v1/agents/${a.id}/messages`, { input: 'hi' });
    const runId = res.body.usage.run_ids[0];
    const other = await newTenant(new Api(t.baseUrl), 'runs-other');
    expect((await other.get(`/v1/runs/${runId}`)).status).toBe(404);
    expect((await other.get(`/v1/runs/${runId}/messages`)).status).toBe(404);
    expect((await other.get(`/v1/runs`)).body).toEqual([]);
    expect((await other.get(`/v1/steps`)).body).toEqual([]);
    expect((await api.get('/v1/runs/run-123')).status).toBe(422);
  });

  // A sync send with nothing ahead of it creates its run in the statement that starts it.
  it("a sync send to an unknown or another tenant's agent is a 404 and leaves no run", async () => {
    const a = await newAgent();
    const other = await newTenant(new Api(t.baseUrl), 'runs-intruder');
    const res = await other.post(`/v1/agents/${a.id}/messages`, { input: 'hi' });
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain(a.id);
    const missing = await api.post('/v1/agents/agent-00000000-0000-4000-8000-000000000000/messages', {
      input: 'hi',
    });
    expect(missing.status).toBe(404);
    expect((await other.get('/v1/runs')).body).toEqual([]);
    expect((await api.get(`/v1/runs?agent_id=${a.id}`)).body).toEqual([]);
    expect(fake.chatRequests).toHaveLength(0);
  });

  it('a sync send behind another one waits as a visible run, and both complete in order', async () => {
    const a = await newAgent();
    let releaseFirst!: () => void;
    const held = new Promise<void>((resolve) => (releaseFirst = resolve));
    fake.enqueue(async () => {
      await held;
      return { content: 'first answer' };
    });
    fake.enqueue({ content: 'second answer' });
    const first = api.post(`/v1/agents/${a.id}/messages`, { input: 'one' });
    await until(
      () => Promise.resolve(fake.chatRequests.length),
      (n) => n === 1,
    );
    const second = api.post(`/v1/agents/${a.id}/messages`, { input: 'two' });
    // The second run exists while it waits for the first: listed, and still `created`.
    const waiting = await until(
      async () => (await api.get(`/v1/runs?agent_id=${a.id}`)).body as any[],
      (runs) => runs.length === 2,
    );
    expect(waiting.map((r) => r.status).sort()).toEqual(['created', 'running']);
    releaseFirst();
    const [r1, r2] = await Promise.all([first, second]);
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect(r1.body.messages.at(-1).content).toBe('first answer');
    expect(r2.body.messages.at(-1).content).toBe('second answer');
    const runs = (await api.get(`/v1/runs?agent_id=${a.id}&order=asc`)).body as any[];
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [r1.body.usage.run_ids[0], 'completed'],
      [r2.body.usage.run_ids[0], 'completed'],
    ]);
    const history = (await api.get(`/v1/agents/${a.id}/messages?order=asc&limit=100`)).body as any[];
    const said = history.filter((m) => m.message_type === 'user_message').map((m) => m.content);
    expect(said).toEqual(['one', 'two']);
  });
});
