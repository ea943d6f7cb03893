import { randomUUID } from 'node:crypto';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { FakeOpenAiServer } from '../support/fake-openai';

const MODEL = 'openai/gpt-4o-mini';

/** Bad input to the conversation routes: each a clear 4xx whose `detail` names what is wrong. */
describe('conversations: bad input (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api;
  let agentId: string;
  let convId: string;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'OK' } });
    t = await startTestApp({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseUrl });
    api = await newTenant(new Api(t.baseUrl), 'conv-e2e');
    agentId = (await api.post('/v1/agents', { model: MODEL })).body.id;
    const created = await api.post(`/v1/conversations?agent_id=${agentId}`, {});
    expect(created.status).toBe(200);
    convId = created.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const expectDetail = (res: { status: number; body: any }, status: number, detail: RegExp) => {
    expect({ status: res.status, detail: res.body?.detail }).toEqual({
      status,
      detail: expect.stringMatching(detail),
    });
  };

  it('refuses a create without a valid agent, with unknown or unsupported fields', async () => {
    expectDetail(await api.post('/v1/conversations', {}), 422, /agent_id/);
    expectDetail(await api.post('/v1/conversations?agent_id=sam', {}), 422, /agent_id/);
    expectDetail(await api.post(`/v1/conversations?agent_id=agent-${randomUUID()}`, {}), 404, /Agent/);
    const q = `/v1/conversations?agent_id=${agentId}`;
    expectDetail(await api.post(q, { isolated_block_labels: ['human'] }), 422, /isolated_block_labels/);
    expectDetail(await api.post(q, { model_settings: { temperature: 0.2 } }), 422, /model_settings/);
    expectDetail(await api.post(q, { context_window_limit: 0 }), 422, /context_window_limit/);
    expectDetail(await api.post(q, { summary: 42 }), 422, /summary/);
    const unknownModel = await api.post(q, { model: 'nowhere/model-x' });
    expect(unknownModel.status).toBeGreaterThanOrEqual(400);
    expect(unknownModel.status).toBeLessThan(500);
    expect(unknownModel.body.detail).toMatch(/nowhere/);
  });

  it('refuses malformed ids, list parameters and updates', async () => {
    expectDetail(await api.get('/v1/conversations/not-an-id'), 422, /conv-<uuid4>/);
    expectDetail(await api.get(`/v1/conversations/conv-${randomUUID()}`), 404, /Conversation/);
    expectDetail(await api.get(`/v1/conversations?order_by=name`), 422, /order_by/);
    expectDetail(await api.get(`/v1/conversations?archive_status=gone`), 422, /archive_status/);
    expectDetail(await api.get(`/v1/conversations?limit=0`), 422, /limit/);
    expectDetail(await api.get(`/v1/conversations?after=conv-${randomUUID()}`), 404, /Conversation/);
    expectDetail(
      await api.patch(`/v1/conversations/${convId}`, { last_message_at: 'yesterday' }),
      422,
      /last_message_at/,
    );
    expectDetail(await api.patch(`/v1/conversations/${convId}`, { archived: 'yes' }), 422, /archived/);
    expectDetail(await api.patch(`/v1/conversations/${convId}`, { agent_id: agentId }), 422, /agent_id/);
  });

  it('refuses bad sends, forks, compactions and resumes', async () => {
    const base = `/v1/conversations/${convId}`;
    expectDetail(await api.post(`${base}/messages`, {}), 422, /messages.*input|input.*messages/);
    expectDetail(
      await api.post(`${base}/messages`, { messages: [{ role: 'robot', content: 'x' }] }),
      422,
      /role/,
    );
    expectDetail(await api.post('/v1/conversations/default/messages', { input: 'hi' }), 422, /agent_id/);
    expectDetail(await api.get('/v1/conversations/default/messages'), 422, /agent_id/);
    expectDetail(
      await api.get(`/v1/conversations/default/messages?agent_id=agent-${randomUUID()}`),
      404,
      /Agent/,
    );
    expectDetail(await api.post(`${base}/fork?message_id=nope`), 422, /message_id/);
    expectDetail(
      await api.post(`${base}/fork?message_id=message-${randomUUID()}`),
      404,
      /not in the context/,
    );
    expectDetail(
      await api.post(`${base}/compact`, { compaction_settings: { mode: 'all' } }),
      422,
      /compaction_settings/,
    );
    expectDetail(await api.post(`${base}/recompile?dry_run=maybe`, {}), 422, /dry_run/);
    expectDetail(await api.post(`${base}/stream`, {}), 400, /No runs/);
    expectDetail(await api.post(`${base}/stream`, { starting_after: -1 }), 422, /starting_after/);
    expectDetail(await api.post(`${base}/stream`, { run_id: `run-${randomUUID()}` }), 404, /Run/);
    expectDetail(await api.post(`${base}/cancel`), 409, /No active runs/);
    const otherAgent = (await api.post('/v1/agents', { model: MODEL })).body.id;
    expectDetail(await api.post(`${base}/cancel?agent_id=${otherAgent}`), 404, /Conversation/);
  });

  it('GET /v1/messages refuses bad parameters', async () => {
    expectDetail(await api.get('/v1/messages?conversation_id=nope'), 422, /conversation_id/);
    expectDetail(await api.get(`/v1/messages?conversation_id=conv-${randomUUID()}`), 404, /Conversation/);
    expectDetail(
      await api.get('/v1/messages?include_return_message_types=shout'),
      422,
      /include_return_message_types/,
    );
    expectDetail(await api.get('/v1/messages?limit=5000'), 422, /limit/);
    expectDetail(await api.get('/v1/messages?order=sideways'), 422, /order/);
    expectDetail(await api.get('/v1/messages?agent_id=x'), 422, /agent_id/);
    expectDetail(await api.get(`/v1/messages?before=message-${randomUUID()}`), 404, /Message/);
    const ok = await api.get('/v1/messages?limit=1');
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(1);
  });

  it('a sync send answers LettaResponse; a deleted conversation is gone', async () => {
    const c = (await api.post(`/v1/conversations?agent_id=${agentId}`, {})).body;
    fake.enqueue({ content: 'Plain JSON.' });
    const sent = await api.post(`/v1/conversations/${c.id}/messages`, { input: 'hi', streaming: false });
    expect(sent.status).toBe(200);
    expect(sent.body.messages.map((m: any) => [m.message_type, m.content])).toEqual([
      ['assistant_message', 'Plain JSON.'],
    ]);
    expect(sent.body.stop_reason).toEqual({ message_type: 'stop_reason', stop_reason: 'end_turn' });
    const run = await api.get(`/v1/runs/${sent.body.usage.run_ids[0]}`);
    expect(run.body.conversation_id).toBe(c.id);
    expect((await api.delete(`/v1/conversations/${c.id}`)).status).toBe(200);
    expectDetail(await api.get(`/v1/conversations/${c.id}`), 404, /Conversation/);
    expectDetail(await api.post(`/v1/conversations/${c.id}/messages`, { input: 'hi' }), 404, /Conversation/);
    // Its messages stay in the agent's history.
    const history = await api.get(`/v1/agents/${agentId}/messages?conversation_id=${c.id}`);
    expectDetail(history, 404, /Conversation/);
    const all = await api.get(`/v1/agents/${agentId}/messages`);
    expect(all.body.map((m: any) => m.content)).toContain('Plain JSON.');
  });
});
