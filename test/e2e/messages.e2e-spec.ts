import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';

/** The agent loop over HTTP, with the real OpenAI SDK talking to the fake server. */
describe('messages: the agent loop (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'default reply' } });
    t = await startTestApp({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseUrl });
    api = await newTenant(new Api(t.baseUrl), 'loop');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  async function agent(body: Record<string, unknown> = {}) {
    const res = await api.post('/v1/agents', {
      model: MODEL,
      memory_blocks: [
        { label: 'human', value: 'Name: unknown', limit: 200 },
        { label: 'persona', value: 'I am a helpful agent.' },
      ],
      ...body,
    });
    expect(res.status).toBe(200);
    return res.body;
  }

  it('answers a letta_v1 agent with an assistant message, usage and a stop reason', async () => {
    const a = await agent();
    fake.enqueue({ content: 'Hello there!', usage: { promptTokens: 50, completionTokens: 7 } });
    const res = await api.post(`/v1/agents/${a.id}/messages`, {
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.stop_reason).toEqual({ message_type: 'stop_reason', stop_reason: 'end_turn' });
    const assistant = res.body.messages.filter((m: any) => m.message_type === 'assistant_message');
    expect(assistant.map((m: any) => m.content)).toEqual(['Hello there!']);
    expect(res.body.usage).toMatchObject({
      message_type: 'usage_statistics',
      step_count: 1,
      prompt_tokens: 50,
      completion_tokens: 7,
    });
    expect(res.body.usage.run_ids).toHaveLength(1);

    // The LLM saw the compiled system prompt with the memory blocks, and the user's message.
    const sent = fake.lastRequest!.body;
    expect(sent.messages[0].role).toBe('system');
    expect(sent.messages[0].content).toContain('Name: unknown');
    expect(sent.messages.at(-1)).toMatchObject({ role: 'user' });
    expect(JSON.stringify(sent.messages.at(-1))).toContain('hi');

    const history = await api.get(`/v1/agents/${a.id}/messages?order=asc`);
    expect(history.status).toBe(200);
    const types = history.body.map((m: any) => m.message_type);
    expect(types).toEqual(['system_message', 'user_message', 'assistant_message']);
    const run = await api.get(`/v1/runs/${res.body.usage.run_ids[0]}`);
    expect(run.body).toMatchObject({ status: 'completed', stop_reason: 'end_turn', agent_id: a.id });
    const steps = await api.get(`/v1/runs/${run.body.id}/steps`);
    expect(steps.body).toHaveLength(1);
    expect(steps.body[0]).toMatchObject({ prompt_tokens: 50, completion_tokens: 7, model: 'gpt-4o-mini' });
    const usage = await api.get(`/v1/runs/${run.body.id}/usage`);
    expect(usage.body).toMatchObject({ prompt_tokens: 50, completion_tokens: 7, total_tokens: 57 });
    const state = await api.get(`/v1/agents/${a.id}`);
    expect(state.body.last_stop_reason).toBe('end_turn');
    expect(state.body.message_ids).toHaveLength(3);
  });

  it('lets the agent edit its own memory; the edit shows in core memory', async () => {
    const a = await agent();
    fake.enqueue(
      {
        toolCalls: [
          { name: 'memory_replace', arguments: { label: 'human', old_string: 'unknown', new_string: 'Ada' } },
        ],
      },
      { content: 'Nice to meet you, Ada.' },
    );
    const res = await api.post(`/v1/agents/${a.id}/messages`, { input: 'My name is Ada.' });
    expect(res.status).toBe(200);
    const kinds = res.body.messages.map((m: any) => m.message_type);
    expect(kinds).toEqual(['tool_call_message', 'tool_return_message', 'assistant_message']);
    expect(res.body.messages[1].status).toBe('success');
    const block = await api.get(`/v1/agents/${a.id}/core-memory/blocks/human`);
    expect(block.body.value).toBe('Name: Ada');
    // The next step's prompt carried the new memory.
    expect(fake.lastRequest!.body.messages[0].content).toContain('Name: Ada');
  });

  it('refuses a memory edit beyond the block limit to the model, and goes on', async () => {
    const a = await agent();
    fake.enqueue(
      { toolCalls: [{ name: 'memory_insert', arguments: { label: 'human', new_string: 'x'.repeat(500) } }] },
      { content: 'That did not fit.' },
    );
    const res = await api.post(`/v1/agents/${a.id}/messages`, { input: 'remember a lot' });
    const ret = res.body.messages.find((m: any) => m.message_type === 'tool_return_message');
    expect(ret.status).toBe('error');
    expect(ret.tool_return).toMatch(/200/);
    expect((await api.get(`/v1/agents/${a.id}/core-memory/blocks/human`)).body.value).toBe('Name: unknown');
    expect(res.body.stop_reason.stop_reason).toBe('end_turn');
  });

  it("counts a memory edit's length in characters (an emoji is one), as the blocks API does", async () => {
    const a = (
      await api.post('/v1/agents', {
        model: 'openai/gpt-4o-mini',
        memory_blocks: [{ label: 'mood', value: 'ok', limit: 4 }],
      })
    ).body;
    const replace = (new_string: string) => ({
      toolCalls: [{ name: 'memory_replace', arguments: { label: 'mood', old_string: 'ok', new_string } }],
    });
    fake.enqueue(replace('😀😀😀😀😀'), { content: 'too long' }, replace('😀😀😀😀'), { content: 'fits' });
    const over = await api.post(`/v1/agents/${a.id}/messages`, { input: 'five' });
    const refused = over.body.messages.find((m: any) => m.message_type === 'tool_return_message');
    expect(refused.status).toBe('error');
    expect(refused.tool_return).toMatch(/would hold 5 characters, over its limit of 4/);
    const fits = await api.post(`/v1/agents/${a.id}/messages`, { input: 'four' });
    expect(fits.body.messages.find((m: any) => m.message_type === 'tool_return_message').status).toBe(
      'success',
    );
    expect((await api.get(`/v1/agents/${a.id}/core-memory/blocks/mood`)).body.value).toBe('😀😀😀😀');
  });

  it('chains memgpt steps with heartbeats and replies through send_message', async () => {
    const a = await agent({ agent_type: 'memgpt_v2_agent' });
    fake.enqueue(
      {
        toolCalls: [
          { name: 'conversation_search', arguments: { query: 'weather', request_heartbeat: true } },
        ],
      },
      { toolCalls: [{ name: 'send_message', arguments: { message: 'Nothing about weather yet.' } }] },
    );
    const res = await api.post(`/v1/agents/${a.id}/messages`, { input: 'what did I say about weather?' });
    expect(res.status).toBe(200);
    const assistant = res.body.messages.filter((m: any) => m.message_type === 'assistant_message');
    expect(assistant.map((m: any) => m.content)).toEqual(['Nothing about weather yet.']);
    expect(res.body.usage.step_count).toBe(2);
    expect(fake.chatRequests).toHaveLength(2);
  });

  it('stops at max_steps', async () => {
    const a = await agent({ agent_type: 'memgpt_v2_agent' });
    for (let i = 0; i < 3; i++) {
      fake.enqueue({
        toolCalls: [{ name: 'conversation_search', arguments: { query: `q${i}`, request_heartbeat: true } }],
      });
    }
    const res = await api.post(`/v1/agents/${a.id}/messages`, { input: 'loop', max_steps: 2 });
    expect(res.body.stop_reason.stop_reason).toBe('max_steps');
    expect(res.body.usage.step_count).toBe(2);
  });

  it('returns a tool error to the model instead of crashing', async () => {
    const a = await agent();
    fake.enqueue(
      { toolCalls: [{ name: 'no_such_tool', arguments: {} }] },
      { content: 'Sorry, that failed.' },
    );
    const res = await api.post(`/v1/agents/${a.id}/messages`, { input: 'do it' });
    expect(res.status).toBe(200);
    const ret = res.body.messages.find((m: any) => m.message_type === 'tool_return_message');
    expect(ret.status).toBe('error');
    expect(res.body.messages.at(-1).content).toBe('Sorry, that failed.');
  });

  it('validates the request and 404s unknown or foreign agents', async () => {
    const a = await agent();
    for (const body of [
      {},
      { messages: [] },
      { messages: [{ role: 'robot', content: 'x' }] },
      { input: '' },
      { input: 'x', bogus: 1 },
    ]) {
      const res = await api.post(`/v1/agents/${a.id}/messages`, body);
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual(expect.any(String));
    }
    expect(
      (await api.post('/v1/agents/agent-00000000-0000-4000-8000-000000000009/messages', { input: 'x' }))
        .status,
    ).toBe(404);
    const other = await newTenant(new Api(t.baseUrl), 'other-loop');
    expect((await other.post(`/v1/agents/${a.id}/messages`, { input: 'x' })).status).toBe(404);
    expect((await other.get(`/v1/agents/${a.id}/messages`)).status).toBe(404);
    expect(fake.chatRequests).toHaveLength(0);
  });

  it('serializes concurrent sends to one agent: all answered, history in order', async () => {
    const a = await agent();
    fake.defaultReply = (req: any) => ({
      content: `echo: ${JSON.stringify(req.body.messages.at(-1).content)}`,
      delayMs: 5,
    });
    const sends = Array.from({ length: 20 }, (_, i) =>
      api.post(`/v1/agents/${a.id}/messages`, { input: `message ${i}` }),
    );
    const results = await Promise.all(sends);
    for (const r of results) expect(r.status).toBe(200);
    const history = await api.get(`/v1/agents/${a.id}/messages?order=asc&limit=1000`);
    const seq = history.body.filter((m: any) => m.message_type !== 'system_message');
    expect(seq).toHaveLength(40);
    // Strict alternation: every user message is directly followed by the reply to it.
    for (let i = 0; i < 40; i += 2) {
      expect(seq[i].message_type).toBe('user_message');
      expect(seq[i + 1].message_type).toBe('assistant_message');
      expect(seq[i + 1].content).toContain(seq[i].content);
    }
    fake.defaultReply = { content: 'default reply' };
  });

  it('says which env var to set when the provider is not configured', async () => {
    const a = await agent({ model: 'anthropic/claude-sonnet-4-5' });
    const res = await api.post(`/v1/agents/${a.id}/messages`, { input: 'hi' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/ANTHROPIC_API_KEY/);
  });
});
