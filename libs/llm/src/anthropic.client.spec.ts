import { FakeAnthropicServer } from '../../../test/support/fake-anthropic';
import { AnthropicClient } from './anthropic.client';
import { toAnthropicInput } from './anthropic.mapping';
import { LlmError, LlmRequest, LlmStreamEvent } from './types';

async function collect(events: AsyncIterable<LlmStreamEvent>): Promise<LlmStreamEvent[]> {
  const out: LlmStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function failureOf(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(LlmError);
    return err as LlmError;
  }
  throw new Error('expected the call to fail');
}

const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
};

const request: LlmRequest = {
  model: 'claude-haiku-4-5',
  messages: [
    { role: 'system', content: 'You are Sam.' },
    { role: 'system', content: '<memory>likes tea</memory>' },
    { role: 'user', content: 'Weather in Paris?' },
  ],
  tools: [weatherTool],
};

describe('toAnthropicInput', () => {
  it('separates the system prompt, maps tool calls and results, and merges same-role turns', () => {
    const input = toAnthropicInput([
      { role: 'system', content: 'S1' },
      { role: 'user', content: 'hi' },
      { role: 'user', content: 'are you there?' },
      {
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [{ id: 't1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 't2', name: 'get_weather', arguments: 'not json' }],
      },
      { role: 'tool', toolCallId: 't1', name: 'get_weather', content: 'sunny' },
      { role: 'user', content: 'thanks' },
      { role: 'tool', toolCallId: 't2', name: 'get_weather', content: 'rainy' },
    ]);
    expect(input.system).toBe('S1');
    expect(input.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(input.messages[0].content).toEqual([
      { type: 'text', text: 'hi' },
      { type: 'text', text: 'are you there?' },
    ]);
    expect(input.messages[1].content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 't2', name: 'get_weather', input: { raw_arguments: 'not json' } },
    ]);
    // tool_result blocks come before text in the user turn that answers the calls.
    expect(input.messages[2].content).toEqual([
      { type: 'tool_result', tool_use_id: 't1', content: 'sunny' },
      { type: 'tool_result', tool_use_id: 't2', content: 'rainy' },
      { type: 'text', text: 'thanks' },
    ]);
  });

  it('starts with a user turn even when history begins with the assistant', () => {
    const input = toAnthropicInput([{ role: 'assistant', content: 'Hello!' }]);
    expect(input.messages[0].role).toBe('user');
    expect(input.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Hello!' }] });
  });
});

describe('AnthropicClient against the fake Anthropic server', () => {
  let fake: FakeAnthropicServer;
  let client: AnthropicClient;

  beforeAll(async () => {
    fake = await FakeAnthropicServer.start();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    client = new AnthropicClient({ provider: 'anthropic', baseURL: fake.baseUrl, apiKey: 'sk-ant-test' });
  });

  it('completes with text, thinking and usage, sending system and tools the Anthropic way', async () => {
    fake.enqueue({
      reasoning: 'Paris is in France.',
      content: 'Let me check.',
      usage: { promptTokens: 30, completionTokens: 5, cachedTokens: 10 },
    });
    const res = await client.complete({ ...request, toolChoice: 'required', parallelToolCalls: false });
    expect(res).toMatchObject({
      content: 'Let me check.',
      reasoning: 'Paris is in France.',
      finishReason: 'stop',
      usage: { promptTokens: 40, completionTokens: 5, totalTokens: 45, cachedInputTokens: 10 },
    });
    const body = fake.lastRequest!.body;
    expect(body.system).toBe('You are Sam.\n\n<memory>likes tea</memory>');
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] }]);
    expect(body.tools).toEqual([
      { name: 'get_weather', description: 'Weather for a city', input_schema: weatherTool.parameters },
    ]);
    expect(body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(body.max_tokens).toBeGreaterThan(0);
    expect(fake.lastRequest!.headers['x-api-key']).toBe('sk-ant-test');
  });

  it('returns tool_use blocks as tool calls', async () => {
    fake.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: { city: 'Paris' } }] });
    const res = await client.complete(request);
    expect(res.finishReason).toBe('tool_calls');
    expect(res.toolCalls).toEqual([{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    // The provider trace: the body Anthropic received and the Message it answered.
    expect(res.providerTrace!.request).toEqual(fake.lastRequest!.body);
    expect(res.providerTrace!.response).toMatchObject({
      type: 'message',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
    });
  });

  it('streams thinking, text and tool input deltas, then the assembled response', async () => {
    fake.enqueue({
      reasoning: 'Need the weather tool.',
      content: 'Checking the weather now.',
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
        { name: 'send_message', arguments: {} },
      ],
      usage: { promptTokens: 12, completionTokens: 9 },
    });
    const events = await collect(client.stream({ ...request, thinkingBudgetTokens: 2048 }));
    expect(fake.lastRequest!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(fake.lastRequest!.body.max_tokens).toBeGreaterThan(2048);
    const text = events.flatMap((e) => (e.type === 'content_delta' ? [e.delta] : []));
    expect(text.length).toBeGreaterThan(1);
    expect(text.join('')).toBe('Checking the weather now.');
    expect(events.flatMap((e) => (e.type === 'reasoning_delta' ? [e.delta] : [])).join('')).toBe(
      'Need the weather tool.',
    );
    const argDeltas = events.filter((e) => e.type === 'tool_call_delta' && e.index === 0 && e.argumentsDelta);
    expect(argDeltas.length).toBeGreaterThan(1);
    const done = events[events.length - 1];
    if (done.type !== 'done') throw new Error('no done event');
    expect(done.response.finishReason).toBe('tool_calls');
    expect(done.response.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ['get_weather', { city: 'Paris', unit: 'celsius' }],
      ['send_message', {}],
    ]);
    expect(done.response.usage).toMatchObject({ promptTokens: 12, completionTokens: 9, totalTokens: 21 });
    expect(done.response.providerTrace!.request).toEqual(fake.lastRequest!.body);
    expect(done.response.providerTrace!.response).toMatchObject({
      type: 'message',
      role: 'assistant',
      stop_reason: 'tool_use',
      content: [
        { type: 'thinking', thinking: 'Need the weather tool.' },
        { type: 'text', text: 'Checking the weather now.' },
        { type: 'tool_use', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
        { type: 'tool_use', name: 'send_message', input: {} },
      ],
      usage: { output_tokens: 9 },
    });
  });

  it('maps 529/500 to unavailable, 429 to rate_limited, 401 to auth, long prompts to context_window_exceeded', async () => {
    const noRetry = new AnthropicClient({
      provider: 'anthropic',
      baseURL: fake.baseUrl,
      apiKey: 'k',
      maxRetries: 0,
    });
    fake.enqueue({ status: 529, error: 'Overloaded' });
    expect((await failureOf(noRetry.complete(request))).kind).toBe('unavailable');
    fake.enqueue({ status: 429 });
    expect((await failureOf(noRetry.complete(request))).kind).toBe('rate_limited');
    fake.enqueue({ status: 401 });
    expect((await failureOf(noRetry.complete(request))).kind).toBe('auth');
    fake.enqueue({ status: 400, error: 'prompt is too long: 210000 tokens > 200000 maximum' });
    expect((await failureOf(noRetry.complete(request))).kind).toBe('context_window_exceeded');
    fake.enqueue({ status: 400, error: 'messages: text content blocks must be non-empty' });
    expect((await failureOf(noRetry.complete(request))).kind).toBe('bad_request');
  });

  it('retries a 500 once, then reports unavailable', async () => {
    fake.enqueue({ status: 500, headers: { 'retry-after-ms': '5' } }, { status: 500 });
    const err = await failureOf(client.complete(request));
    expect(err.kind).toBe('unavailable');
    expect(fake.requests).toHaveLength(2);
  });

  it('reports cancelled when the stream is aborted', async () => {
    fake.enqueue({ content: 'one two three four five six seven', chunkDelayMs: 30 });
    const controller = new AbortController();
    const run = (async () => {
      for await (const e of client.stream({ ...request, signal: controller.signal })) {
        if (e.type === 'content_delta') controller.abort();
      }
    })();
    expect((await failureOf(run)).kind).toBe('cancelled');
  });
});
