import { Api, newTenant, startTestApp, TestApp, useLlmApp } from '../support/app';
import { ndjsonLineValidator, responseValidator, streamChunkValidator } from '../support/contract';

/** The contract check itself: it validates real responses, and it catches a drifted shape. */
describe('response contract (e2e)', () => {
  let t: TestApp;
  let api: Api;

  beforeAll(async () => {
    t = await startTestApp();
    api = await newTenant(new Api(t.baseUrl), 'contract');
  });
  afterAll(async () => {
    await t.close();
  });

  it('checks each documented JSON response the app sends', async () => {
    const before = t.contract.checked;
    const agent = await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' });
    expect(agent.status).toBe(200);
    expect((await api.get(`/v1/agents/${agent.body.id}`)).status).toBe(200);
    expect((await api.get('/v1/blocks')).status).toBe(200);
    expect(t.contract.checked - before).toBe(3);
    expect(t.contract.violations).toEqual([]);
  });

  it('checks each line of a newline-delimited JSON stream against the route’s line union', () => {
    // The tutorial dialect's send, named by its mount as Fastify reports it (or as clients call it).
    for (const route of ['/v1/tutorial/agents/:agent_id/messages', '/agents/:agent_id/messages']) {
      const line = ndjsonLineValidator(route, 'POST')!;
      expect(line).not.toBeNull();
      expect(line({ type: 'content', content: 'Hi', message_id: 'message-1', seq_id: 1 })).toBe(true);
      expect(line({ type: 'content', content: 3, message_id: 'message-1', seq_id: 1 })).toBe(false);
      expect(
        line({ type: 'done', stop_reason: 'end_turn', usage: null, run_id: 'run-1', conversation_id: null }),
      ).toBe(true);
      expect(line({ type: 'done', stop_reason: 'end_turn', run_id: 'run-1' })).toBe(false);
      expect(line({ type: 'bogus' })).toBe(false);
    }
    expect(ndjsonLineValidator('/v1/agents/:agent_id/messages', 'POST')).toBeNull();
  });

  it('refuses a response that drifted from its schema', async () => {
    const agent = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body;
    const validate = responseValidator('/v1/agents/:agent_id', 'GET', 200)!;
    expect(validate).not.toBeNull();
    expect(validate(agent)).toBe(true);
    expect(validate({ ...agent, id: 7 })).toBe(false);
    const { memory: _memory, ...withoutMemory } = agent;
    expect(validate(withoutMemory)).toBe(false);
    expect(
      validate({ ...agent, embedding_config: { ...agent.embedding_config }, blocks: [{ id: 'x' }] }),
    ).toBe(false);
    const summarize = responseValidator('/v1/agents/:agent_id/summarize', 'POST', 200)!;
    expect(summarize({ summary: '', num_messages_before: 1, num_messages_after: 1 })).toBe(true);
    // The shape it had before issue 13.
    expect(summarize({ summarized: false, messages_before: 1, messages_after: 1 })).toBe(false);
  });

  it('types the agent file an export answers', async () => {
    const agent = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body;
    const res = await api.get(`/v1/agents/${agent.id}/export`);
    expect(res.status).toBe(200);
    const validate = responseValidator('/v1/agents/:agent_id/export', 'GET', 200)!;
    expect(validate(res.body)).toBe(true);
    expect(validate({ ...res.body, agents: undefined })).toBe(false);
  });

  it('refuses a message or a stream chunk that drifted from the union', () => {
    const list = responseValidator('/v1/agents/:agent_id/messages', 'GET', 200)!;
    const chunk = streamChunkValidator('/v1/agents/:agent_id/messages/stream', 'POST')!;
    expect(chunk).not.toBeNull();
    const message = {
      id: 'message-1',
      date: new Date().toISOString(),
      message_type: 'assistant_message',
      content: 'hi',
      name: null,
      otid: null,
      sender_id: null,
      step_id: null,
      run_id: null,
      is_err: null,
    };
    expect(list([message])).toBe(true);
    expect(chunk({ ...message, seq_id: 3 })).toBe(true);
    expect(list([{ ...message, content: 7 }])).toBe(false);
    expect(list([{ ...message, message_type: 'assistant' }])).toBe(false);
    const { otid: _otid, ...withoutOtid } = message;
    expect(chunk(withoutOtid)).toBe(false);
    // Stream-only members: ping (with id and date), stop_reason, usage_statistics, error_message.
    expect(chunk({ message_type: 'ping', id: 'ping-1', date: new Date().toISOString() })).toBe(true);
    expect(chunk({ message_type: 'ping' })).toBe(false);
    expect(chunk({ message_type: 'stop_reason', stop_reason: 'end_turn' })).toBe(true);
    expect(chunk({ message_type: 'stop_reason', stop_reason: 'done' })).toBe(false);
    expect(chunk({ message_type: 'error_message', error_type: 'x', message: 'y' })).toBe(false);
    expect(list([{ message_type: 'ping', id: 'ping-1', date: new Date().toISOString() }])).toBe(false);
  });
});

/** The stream half: each SSE chunk a stream sends is validated against its route's chunk union. */
describe('stream chunk contract (e2e)', () => {
  const ctx = useLlmApp('contract-sse', { fake: { defaultReply: { content: 'streamed reply' } } });

  it('validates every data: line of a stream, and of its replay', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body;
    const before = ctx.t.contract.chunksChecked;
    const res = await fetch(`${ctx.t.baseUrl}/v1/agents/${agent.id}/messages/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', user_id: ctx.api.userId },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream_tokens: true }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const chunks = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
      .map((e) => JSON.parse(e.slice(6)) as { message_type: string; run_id?: string });
    expect(chunks.map((c) => c.message_type)).toEqual(
      expect.arrayContaining(['assistant_message', 'stop_reason', 'usage_statistics']),
    );
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(ctx.t.contract.chunksChecked - before).toBe(chunks.length);
    const runId = chunks.find((c) => c.run_id)!.run_id!;
    const replay = await ctx.api.get(`/v1/runs/${runId}/stream`);
    expect(replay.status).toBe(200);
    expect(ctx.t.contract.chunksChecked - before).toBeGreaterThan(chunks.length);
    expect(ctx.t.contract.violations).toEqual([]);
  });
});
