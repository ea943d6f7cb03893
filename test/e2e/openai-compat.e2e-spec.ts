import OpenAI from 'openai';
import { useLlmApp, Api, newTenant } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';

/** The official `openai` SDK against Engram's chat completions, on both paths. */
describe('OpenAI-compatible chat completions (e2e)', () => {
  const ctx = useLlmApp('openai');

  const client = (path: string, userId = ctx.api.userId) =>
    new OpenAI({
      baseURL: `${ctx.t.baseUrl}${path}`,
      apiKey: 'unused',
      defaultHeaders: { user_id: userId },
      maxRetries: 0,
    });

  describe.each(['/v1', '/openai/v1'])('at %s', (path) => {
    it('answers a ChatCompletion with the agent’s reply, and the agent remembers the turn', async () => {
      const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
      ctx.fake.enqueue({ content: 'Hello from the agent', usage: { promptTokens: 11, completionTokens: 4 } });
      const done = await client(path).chat.completions.create({
        model: agent.id,
        messages: [
          { role: 'system', content: 'ignored: the agent has its own' },
          { role: 'user', content: 'hi there' },
        ],
      });
      expect(done).toMatchObject({
        object: 'chat.completion',
        model: agent.id,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Hello from the agent' },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
      });
      expect(done.choices[0].message.tool_calls).toBeUndefined();
      const history = (await ctx.api.get(`/v1/agents/${agent.id}/messages?order=asc`)).body;
      expect(
        history.filter((m: any) => m.message_type !== 'system_message').map((m: any) => m.content),
      ).toEqual(['hi there', 'Hello from the agent']);
    });

    it('streams ChatCompletionChunks ending in [DONE], without the agent’s tool steps', async () => {
      const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
      ctx.fake.enqueue(
        { toolCalls: [{ name: 'conversation_search', arguments: { query: 'x' } }], reasoning: 'let me look' },
        { content: 'one two three four' },
      );
      const stream = await client(path).chat.completions.create({
        model: agent.id,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'count' }] }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const c of stream) chunks.push(c);
      expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
      const content = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      expect(content).toBe('one two three four');
      expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBeGreaterThan(1);
      for (const c of chunks) {
        expect(c.object).toBe('chat.completion.chunk');
        expect(c.choices[0]?.delta?.tool_calls).toBeUndefined();
      }
      expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
      expect(chunks.at(-1)!.usage).toMatchObject({ total_tokens: expect.any(Number) });
    });
  });

  it('refuses what it cannot honour with a 4xx naming it, and another tenant’s agent with 404', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    const post = (body: unknown, userId = ctx.api.userId) =>
      fetch(`${ctx.t.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', user_id: userId },
        body: JSON.stringify(body),
      });
    const temp = await post({
      model: agent.id,
      messages: [{ role: 'user', content: 'x' }],
      temperature: 0.2,
    });
    expect(temp.status).toBeGreaterThanOrEqual(400);
    expect(temp.status).toBeLessThan(500);
    expect(JSON.stringify(await temp.json())).toContain('temperature');
    const notAgent = await post({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(notAgent.status).toBeGreaterThanOrEqual(400);
    expect(notAgent.status).toBeLessThan(500);
    expect(JSON.stringify(await notAgent.json())).toContain('model');
    const noUser = await post({ model: agent.id, messages: [{ role: 'system', content: 'x' }] });
    expect(noUser.status).toBeGreaterThanOrEqual(400);
    expect(((await noUser.json()) as { detail: string }).detail).toContain('user message');
    // `user` names the acting user (Letta's actor): another one is refused, the same one accepted.
    const runsBefore = (await ctx.api.get(`/v1/runs?agent_id=${agent.id}`)).body.length;
    const otherUser = await post({
      model: agent.id,
      messages: [{ role: 'user', content: 'x' }],
      user: 'user-x',
    });
    expect(otherUser.status).toBe(422);
    expect(((await otherUser.json()) as { detail: string }).detail).toContain('user');
    expect((await ctx.api.get(`/v1/runs?agent_id=${agent.id}`)).body.length).toBe(runsBefore);
    const sameUser = await post({
      model: agent.id,
      messages: [{ role: 'user', content: 'x' }],
      user: ctx.api.userId,
    });
    expect(sameUser.status).toBe(200);
    const other = await newTenant(new Api(ctx.t.baseUrl), 'other');
    const foreign = await post({ model: agent.id, messages: [{ role: 'user', content: 'x' }] }, other.userId);
    expect(foreign.status).toBe(404);
  });
});
