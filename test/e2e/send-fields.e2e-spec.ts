import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';

/** A local HTTP receiver for callback_url: answers `statuses` in turn (then 200), keeps bodies. */
async function receiver(statuses: number[]) {
  const bodies: any[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      res.statusCode = statuses.shift() ?? 200;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function until<T>(what: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function sse(res: Response): Promise<any[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6))
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d));
}

/**
 * The send-path fields of Letta's LettaRequest: each honoured (its effect seen in what the fake
 * LLM was sent, or in what comes back) or refused with a 422 naming it, creating no run.
 */
describe('send request fields (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'default reply' } });
    t = await startTestApp({
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: fake.baseUrl,
      ENGRAM_RUN_CALLBACK_BACKOFF_MS: '50',
    });
    api = await newTenant(new Api(t.baseUrl), 'send-fields');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  async function agent(body: Record<string, unknown> = {}) {
    const res = await api.post('/v1/agents', { model: MODEL, ...body });
    expect(res.status).toBe(200);
    return res.body;
  }
  const runCount = async (agentId: string) =>
    ((await api.get(`/v1/runs?agent_id=${agentId}&limit=1000`)).body as unknown[]).length;

  it('override_model sends this request to another model and leaves the agent as it was', async () => {
    const a = await agent();
    fake.enqueue({ content: 'from gpt-4o' });
    const res = await api.post(`/v1/agents/${a.id}/messages`, {
      input: 'hi',
      override_model: 'openai/gpt-4o',
    });
    expect(res.status).toBe(200);
    expect(fake.lastRequest!.body.model).toBe('gpt-4o');
    const steps = (await api.get(`/v1/runs/${res.body.usage.run_ids[0]}/steps`)).body;
    expect(steps[0].model_handle).toBe('openai/gpt-4o');
    expect((await api.get(`/v1/agents/${a.id}`)).body.model).toBe(MODEL);
    // The next send without it uses the agent's own model again.
    await api.post(`/v1/agents/${a.id}/messages`, { input: 'again' });
    expect(fake.lastRequest!.body.model).toBe('gpt-4o-mini');
  });

  it('an unusable override_model is a 422 naming it, and no run is created', async () => {
    const a = await agent();
    const res = await api.post(`/v1/agents/${a.id}/messages`, {
      input: 'hi',
      override_model: 'nosuchprovider/some-model',
    });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain('override_model');
    expect(await runCount(a.id)).toBe(0);
    expect(fake.chatRequests).toHaveLength(0);
  });

  it('override_system replaces the system prompt sent to the LLM, not the stored one', async () => {
    const a = await agent({ memory_blocks: [{ label: 'persona', value: 'I am Ada.' }] });
    const res = await api.post(`/v1/agents/${a.id}/messages/stream`, {
      input: 'hi',
      override_system: 'You are a pirate. Answer in pirate speak.',
    });
    expect(res.status).toBe(200);
    const sent = fake.lastRequest!.body.messages;
    expect(sent[0]).toEqual({ role: 'system', content: 'You are a pirate. Answer in pirate speak.' });
    await api.post(`/v1/agents/${a.id}/messages`, { input: 'and now?' });
    expect(fake.lastRequest!.body.messages[0].content).toContain('I am Ada.');
  });

  it('client_tools are offered to the model; a call stops for the client, whose tool return goes on', async () => {
    const a = await agent();
    const client_tools = [
      {
        name: 'get_local_time',
        description: "The time on the user's machine",
        parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] },
      },
    ];
    fake.enqueue({ toolCalls: [{ id: 'call_ct1', name: 'get_local_time', arguments: { tz: 'UTC' } }] });
    const first = await api.post(`/v1/agents/${a.id}/messages`, { input: 'what time is it?', client_tools });
    expect(first.status).toBe(200);
    const offered = fake.lastRequest!.body.tools.map((x: any) => x.function);
    expect(offered).toContainEqual(expect.objectContaining(client_tools[0]));
    expect(first.body.stop_reason.stop_reason).toBe('requires_approval');
    const request = first.body.messages.find((m: any) => m.message_type === 'approval_request_message');
    expect(request.tool_call).toMatchObject({ name: 'get_local_time', tool_call_id: 'call_ct1' });

    fake.enqueue({ content: 'It is noon.' });
    const second = await api.post(`/v1/agents/${a.id}/messages`, {
      client_tools,
      messages: [
        {
          type: 'approval',
          approvals: [{ type: 'tool', tool_call_id: 'call_ct1', tool_return: '12:00', status: 'success' }],
        },
      ],
    });
    expect(second.status).toBe(200);
    expect(second.body.stop_reason.stop_reason).toBe('end_turn');
    const toolMsg = fake.lastRequest!.body.messages.find((m: any) => m.role === 'tool');
    expect(toolMsg).toMatchObject({ tool_call_id: 'call_ct1' });
    expect(toolMsg.content).toContain('12:00');
    const reply = second.body.messages.find((m: any) => m.message_type === 'assistant_message');
    expect(reply.content).toBe('It is noon.');
  });

  it('a client tool with a bad name is a 422 naming client_tools, creating no run', async () => {
    const a = await agent();
    const res = await api.post(`/v1/agents/${a.id}/messages`, {
      input: 'hi',
      client_tools: [{ name: 'no spaces allowed' }],
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.detail)).toContain('client_tools');
    expect(await runCount(a.id)).toBe(0);
  });

  it('callback_url is POSTed the result when the run ends, again after a failed try', async () => {
    const hook = await receiver([500]);
    try {
      const a = await agent();
      fake.enqueue({ content: 'done in the background' });
      const res = await api.post(`/v1/agents/${a.id}/messages/async`, {
        input: 'hi',
        callback_url: hook.url,
      });
      expect(res.status).toBe(200);
      expect(res.body.callback_url).toBe(hook.url);
      await until(async () => (hook.bodies.length >= 2 ? true : undefined));
      const [failedTry, delivered] = hook.bodies;
      expect(failedTry).toEqual(delivered);
      expect(delivered).toMatchObject({ run_id: res.body.id, status: 'completed' });
      expect(Date.parse(delivered.completed_at)).not.toBeNaN();
      expect(delivered.metadata.result.stop_reason.stop_reason).toBe('end_turn');
      const texts = delivered.metadata.result.messages
        .filter((m: any) => m.message_type === 'assistant_message')
        .map((m: any) => m.content);
      expect(texts).toEqual(['done in the background']);
      const run = await until(async () => {
        const r = (await api.get(`/v1/runs/${res.body.id}`)).body;
        return r.callback_status_code === 200 ? r : undefined;
      });
      expect(run.callback_error).toBeNull();
      expect(Date.parse(run.callback_sent_at)).not.toBeNaN();
      expect(hook.bodies).toHaveLength(2);
    } finally {
      await hook.close();
    }
  });

  it('a callback_url that is not an http(s) URL is a 422 naming it, creating no run', async () => {
    const a = await agent();
    const res = await api.post(`/v1/agents/${a.id}/messages/async`, {
      input: 'hi',
      callback_url: 'file:///etc/passwd',
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.detail)).toContain('callback_url');
    expect(await runCount(a.id)).toBe(0);
  });

  it('return_logprobs and top_logprobs ask the provider and come back in the LettaResponse', async () => {
    const a = await agent();
    fake.enqueue({ content: 'Hello world' });
    const res = await api.post(`/v1/agents/${a.id}/messages`, {
      input: 'hi',
      return_logprobs: true,
      top_logprobs: 2,
    });
    expect(res.status).toBe(200);
    expect(fake.lastRequest!.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(res.body.logprobs.content.map((c: any) => c.token)).toEqual(['Hello ', 'world']);
    expect(res.body.logprobs.content[0].top_logprobs).toHaveLength(2);
    // Without it, the provider is not asked and the response has no logprobs.
    await api.post(`/v1/agents/${a.id}/messages`, { input: 'again' });
    expect(fake.lastRequest!.body.logprobs).toBeUndefined();
  });

  it.each([
    ['return_logprobs', '/messages/stream', { return_logprobs: true }],
    ['return_logprobs', '/messages/async', { return_logprobs: true }],
    ['top_logprobs', '/messages', { top_logprobs: 3 }],
    ['return_token_ids', '/messages', { return_token_ids: true }],
    ['client_skills', '/messages', { client_skills: [{ name: 's', description: 'd', location: 'x' }] }],
    ['enable_thinking', '/messages', { enable_thinking: 'false' }],
  ])('%s on %s is a 422 naming it, creating no run', async (field, route, extra) => {
    const a = await agent();
    const res = await api.post(`/v1/agents/${a.id}${route}`, { input: 'hi', ...extra });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain(field);
    expect(await runCount(a.id)).toBe(0);
    expect(fake.chatRequests).toHaveLength(0);
  });

  it("enable_thinking's default value is accepted", async () => {
    const a = await agent();
    const res = await api.post(`/v1/agents/${a.id}/messages`, { input: 'hi', enable_thinking: 'true' });
    expect(res.status).toBe(200);
  });

  it('include_compaction_messages streams an event_message and a summary_message on compaction', async () => {
    const a = await agent({ context_window_limit: 2500 });
    const filler = 'lorem ipsum dolor sit amet '.repeat(40);
    fake.defaultReply = (req: any) => {
      const isSummary = JSON.stringify(req.body.messages[0]?.content ?? '').includes('concise summary');
      return { content: isSummary ? 'SUMMARY: lorem ipsum.' : `answer ${filler.slice(0, 300)}` };
    };
    let chunks: any[] = [];
    for (let turn = 0; turn < 8; turn++) {
      const res = await fetch(`${t.baseUrl}/v1/agents/${a.id}/messages/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...api.headers },
        body: JSON.stringify({ input: `question ${turn}: ${filler}`, include_compaction_messages: true }),
      });
      expect(res.status).toBe(200);
      chunks = await sse(res);
      if (chunks.some((c) => c.message_type === 'summary_message')) break;
    }
    const types = chunks.map((c) => c.message_type);
    const at = types.indexOf('summary_message');
    expect(at).toBeGreaterThan(0);
    expect(types[at - 1]).toBe('event_message');
    expect(chunks[at - 1]).toMatchObject({
      event_type: 'compaction',
      event_data: { trigger: expect.any(String) },
    });
    expect(chunks[at].summary).toContain('SUMMARY: lorem ipsum.');
    expect(chunks[at].compaction_stats).toMatchObject({ context_window: 2500 });
    expect(chunks[at].compaction_stats.messages_count_after).toBeLessThan(
      chunks[at].compaction_stats.messages_count_before,
    );
  });
});
