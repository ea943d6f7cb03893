import Letta from '@letta-ai/letta-client';
import { useLlmApp } from '../support/app';

/** The official client's message APIs (sync, SSE streams, async runs) against Engram. */
describe('compat: @letta-ai/letta-client messages and runs', () => {
  const ctx = useLlmApp('compat-msg', { fake: { defaultReply: { content: 'ok' } } });
  let client: Letta;
  beforeAll(() => {
    client = ctx.client();
  });

  it('sends a message and reads the LettaResponse', async () => {
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    ctx.fake.enqueue({ content: 'Hi from Engram' });
    const res = await client.agents.messages.create(agent.id, {
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(res.stop_reason.stop_reason).toBe('end_turn');
    const assistant = res.messages.find((m) => m.message_type === 'assistant_message');
    expect(assistant && 'content' in assistant ? assistant.content : null).toBe('Hi from Engram');
    expect(res.usage.step_count).toBe(1);

    const history: Array<string | undefined> = [];
    for await (const m of client.agents.messages.list(agent.id, { order: 'asc', limit: 2 }))
      history.push(m.message_type);
    expect(history).toEqual(['system_message', 'user_message', 'assistant_message']);
  });

  it('parses the SSE stream with the client’s stream API', async () => {
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    ctx.fake.enqueue(
      { toolCalls: [{ name: 'memory_insert', arguments: { label: 'missing', new_string: 'x' } }] },
      { content: 'done streaming' },
    );
    const stream = await client.agents.messages.stream(agent.id, { input: 'stream please' });
    const seen: Array<string | undefined> = [];
    let text = '';
    for await (const chunk of stream) {
      seen.push(chunk.message_type);
      if (chunk.message_type === 'assistant_message' && typeof chunk.content === 'string')
        text += chunk.content;
    }
    expect(seen).toEqual([
      'tool_call_message',
      'tool_return_message',
      'assistant_message',
      'stop_reason',
      'usage_statistics',
    ]);
    expect(text).toBe('done streaming');
  });

  it('creates an async run and follows it to completion with runs.retrieve', async () => {
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    ctx.fake.enqueue({ content: 'async ok', delayMs: 100 });
    const run = await client.agents.messages.createAsync(agent.id, { input: 'later' });
    let current = await client.runs.retrieve(run.id);
    for (let i = 0; i < 100 && current.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      current = await client.runs.retrieve(run.id);
    }
    expect(current.status).toBe('completed');
    const usage = await client.runs.usage.retrieve(run.id);
    expect(usage.total_tokens).toBeGreaterThan(0);
    const msgs: Array<string | undefined> = [];
    for await (const m of client.runs.messages.list(run.id)) msgs.push(m.message_type);
    expect(msgs).toEqual(['user_message', 'assistant_message']);
  });
});
