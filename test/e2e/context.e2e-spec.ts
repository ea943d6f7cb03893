import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

describe('context window and crash recovery (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  // Embedded mode keeps its data on disk here so that a restarted app sees the same database.
  const dataDir = process.env.DATABASE_URL ? undefined : mkdtempSync(join(tmpdir(), 'engram-context-'));
  const appEnv = () => ({
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: fake.baseUrl,
    ...(dataDir ? { ENGRAM_DATA_DIR: dataDir } : {}),
  });

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'ok' } });
    t = await startTestApp(appEnv());
    api = await newTenant(new Api(t.baseUrl), 'context');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('summarizes old messages at a small context window without splitting tool calls from returns', async () => {
    const a = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini', context_window_limit: 2500 }))
      .body;
    const filler = 'lorem ipsum dolor sit amet '.repeat(40);
    // One scripted model for everything: summary requests get a summary; a user turn gets a
    // tool call; a tool result gets a long answer.
    let turn = 0;
    fake.defaultReply = (req: any) => {
      const msgs = req.body.messages;
      const isSummary = JSON.stringify(msgs[0]?.content ?? '').includes('concise summary');
      if (isSummary) return { content: 'SUMMARY: the user talked about lorem ipsum.' };
      const last = msgs.at(-1);
      if (last.role === 'user')
        return { toolCalls: [{ name: 'conversation_search', arguments: { query: `topic ${turn}` } }] };
      return { content: `answer ${turn} ${filler.slice(0, 300)}` };
    };
    for (turn = 0; turn < 6; turn++) {
      const res = await api.post(`/v1/agents/${a.id}/messages`, { input: `question ${turn}: ${filler}` });
      expect(res.status).toBe(200);
      expect(res.body.stop_reason.stop_reason).toBe('end_turn');
    }
    const state = (await api.get(`/v1/agents/${a.id}`)).body;
    const all = (await api.get(`/v1/agents/${a.id}/messages?order=asc&limit=1000`)).body;
    const stored = new Set(all.map((m: any) => m.id));
    // Some messages left the context but every one of them is still stored.
    expect(state.message_ids.length).toBeLessThan(stored.size);
    for (const id of state.message_ids) expect(stored.has(id)).toBe(true);
    // A summary entered the context right after the system message.
    // In-context order is the agent's id list (the summary sits right after the system message).
    const inContext = state.message_ids.flatMap((id: string) => all.filter((m: any) => m.id === id));
    expect(inContext[0].message_type).toBe('system_message');
    expect(String(inContext[1].content)).toContain('SUMMARY: the user talked about lorem ipsum.');
    // Every tool call still in context has its return in context, and the other way round.
    const callIds = new Set(
      inContext
        .filter((m: any) => m.message_type === 'tool_call_message')
        .map((m: any) => m.tool_call.tool_call_id),
    );
    const returnIds = new Set(
      inContext.filter((m: any) => m.message_type === 'tool_return_message').map((m: any) => m.tool_call_id),
    );
    expect([...callIds].sort()).toEqual([...returnIds].sort());
    // And what the LLM was last sent has no orphan tool message either.
    const sent = fake.lastRequest!.body.messages;
    const sentCalls = new Set(sent.flatMap((m: any) => (m.tool_calls ?? []).map((c: any) => c.id)));
    for (const m of sent.filter((x: any) => x.role === 'tool'))
      expect(sentCalls.has(m.tool_call_id)).toBe(true);
    fake.defaultReply = { content: 'ok' };
  });

  it('marks runs of a dead process failed at the next start, keeping every committed message', async () => {
    const a = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body;
    const done = await api.post(`/v1/agents/${a.id}/messages`, { input: 'before the crash' });
    expect(done.status).toBe(200);
    // Simulate a process that died mid-run: an active run whose lease has lapsed.
    const ds = t.app.get(DataSource);
    await ds.query(
      `INSERT INTO runs (id, organization_id, agent_id, status, lease_expires_at) VALUES ($1, $2, $3, 'running', now() - interval '1 minute')`,
      ['run-00000000-0000-4000-8000-00000000dead', api.orgId, a.id],
    );
    const before = (await api.get(`/v1/agents/${a.id}/messages?order=asc`)).body;
    // The old process goes away; a new one starts on the same database.
    await t.close();
    t = await startTestApp(appEnv());
    const again = new Api(t.baseUrl, { user_id: api.userId });
    const run = await again.get('/v1/runs/run-00000000-0000-4000-8000-00000000dead');
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ status: 'failed', stop_reason: 'error' });
    const after = (await again.get(`/v1/agents/${a.id}/messages?order=asc`)).body;
    expect(after.map((m: any) => m.id)).toEqual(before.map((m: any) => m.id));
    expect(after.some((m: any) => m.content === 'before the crash')).toBe(true);
  });
});
