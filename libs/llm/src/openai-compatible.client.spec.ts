import { createServer } from 'node:net';
import { FakeOpenAiServer } from '../../../test/support/fake-openai';
import { OpenAiCompatibleClient } from './openai-compatible.client';
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

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const request: LlmRequest = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are Sam. Persona: helpful.' },
    { role: 'user', content: 'What is the weather in Paris?' },
  ],
  tools: [
    {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ],
};

describe('OpenAiCompatibleClient against the fake OpenAI server', () => {
  let fake: FakeOpenAiServer;
  let client: OpenAiCompatibleClient;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    client = new OpenAiCompatibleClient({ provider: 'openai', baseURL: fake.baseUrl, apiKey: 'sk-test' });
  });

  it('completes with content and usage, sending messages and tools in OpenAI shape', async () => {
    fake.enqueue({ content: 'Sunny.', usage: { promptTokens: 42, completionTokens: 3 } });
    const res = await client.complete({ ...request, temperature: 0.2, maxTokens: 100, toolChoice: 'auto' });
    expect(res).toMatchObject({
      content: 'Sunny.',
      toolCalls: [],
      finishReason: 'stop',
      usage: { promptTokens: 42, completionTokens: 3, totalTokens: 45 },
    });
    const body = fake.lastRequest!.body;
    expect(body.messages[0]).toEqual({ role: 'system', content: 'You are Sam. Persona: helpful.' });
    expect(body.tools[0]).toEqual({ type: 'function', function: request.tools![0] });
    expect(body.tool_choice).toBe('auto');
    expect(body.temperature).toBe(0.2);
    expect(body.max_completion_tokens).toBe(100);
    expect(fake.lastRequest!.headers.authorization).toBe('Bearer sk-test');
  });

  it('sends the body it keeps as the trace, the same JSON as the request, and converts each message once', async () => {
    fake.enqueue({ content: 'one' });
    fake.enqueue({ content: 'two' });
    const first = await client.complete({ ...request, temperature: 0.5 });
    const sent = fake.lastRequest!.body;
    const trace = first.providerTrace!;
    expect(JSON.parse(trace.requestJson!)).toEqual(sent);
    expect(JSON.parse(JSON.stringify(trace.request))).toEqual(sent);
    expect(sent.temperature).toBe(0.5);
    // The same message objects again, one more after them: the earlier ones' wire objects are reused.
    const more = {
      ...request,
      messages: [...request.messages, { role: 'user' as const, content: 'and now?' }],
    };
    const second = await client.complete(more);
    const before = trace.request.messages as unknown[];
    const after = second.providerTrace!.request.messages as unknown[];
    expect(after).toHaveLength(before.length + 1);
    before.forEach((m, i) => expect(after[i]).toBe(m));
    expect(fake.lastRequest!.body.messages.at(-1)).toEqual({ role: 'user', content: 'and now?' });
    expect(JSON.parse(second.providerTrace!.requestJson!)).toEqual(fake.lastRequest!.body);
  });

  it('returns tool calls and replays them with their results', async () => {
    fake.enqueue({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] });
    const res = await client.complete(request);
    expect(res.finishReason).toBe('tool_calls');
    expect(res.toolCalls).toEqual([{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);

    fake.enqueue({ content: 'It is sunny in Paris.' });
    await client.complete({
      ...request,
      messages: [
        ...request.messages,
        { role: 'assistant', content: null, toolCalls: res.toolCalls },
        { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: '{"temp":21}' },
      ],
    });
    const sent = fake.lastRequest!.body.messages;
    expect(sent[2]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    });
    expect(sent[3]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' });
  });

  it('streams content and reasoning deltas and ends with the assembled response and usage', async () => {
    fake.enqueue({
      reasoning: 'User wants a greeting.',
      content: 'Hello there, friend!',
      usage: { promptTokens: 7 },
    });
    const events = await collect(client.stream(request));
    expect(fake.lastRequest!.body.stream_options).toEqual({ include_usage: true });
    const text = events.filter((e) => e.type === 'content_delta').map((e) => (e as { delta: string }).delta);
    expect(text.length).toBeGreaterThan(1);
    expect(text.join('')).toBe('Hello there, friend!');
    expect(events.some((e) => e.type === 'reasoning_delta')).toBe(true);
    const done = events[events.length - 1];
    expect(done.type).toBe('done');
    if (done.type !== 'done') return;
    expect(done.response).toMatchObject({
      content: 'Hello there, friend!',
      reasoning: 'User wants a greeting.',
      finishReason: 'stop',
      usage: { promptTokens: 7 },
    });
    expect(done.response.usage.completionTokens).toBeGreaterThan(0);
  });

  it('streams tool calls whose arguments arrive split over several chunks', async () => {
    fake.enqueue({
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
        { name: 'send_message', arguments: '{"message": "checking"}' },
      ],
    });
    const events = await collect(client.stream(request));
    const deltas = events.filter((e) => e.type === 'tool_call_delta');
    expect(deltas.filter((d) => d.type === 'tool_call_delta' && d.index === 0).length).toBeGreaterThan(2);
    const done = events[events.length - 1];
    if (done.type !== 'done') throw new Error('no done event');
    expect(done.response.finishReason).toBe('tool_calls');
    expect(done.response.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ['get_weather', { city: 'Paris', unit: 'celsius' }],
      ['send_message', { message: 'checking' }],
    ]);
    expect(done.response.toolCalls.every((c) => c.id.startsWith('call_'))).toBe(true);
  });

  it('maps a 500 to unavailable after one bounded retry', async () => {
    fake.enqueue({ status: 500, headers: { 'retry-after-ms': '5' } }, { status: 500 });
    const err = await failureOf(client.complete(request));
    expect(err.kind).toBe('unavailable');
    expect(err.details.status).toBe(500);
    expect(fake.requests).toHaveLength(2);
  });

  it('maps 429 to rate_limited and 401 to auth', async () => {
    const noRetry = new OpenAiCompatibleClient({ provider: 'groq', baseURL: fake.baseUrl, maxRetries: 0 });
    fake.enqueue({ status: 429, error: 'slow down' });
    expect((await failureOf(noRetry.complete(request))).kind).toBe('rate_limited');
    fake.enqueue({ status: 401, error: 'bad key' });
    const auth = await failureOf(noRetry.complete(request));
    expect(auth.kind).toBe('auth');
    expect(auth.details.provider).toBe('groq');
  });

  it('maps a context-length 400 to context_window_exceeded', async () => {
    fake.enqueue({
      status: 400,
      errorCode: 'context_length_exceeded',
      error: "This model's maximum context length is 128000 tokens.",
    });
    expect((await failureOf(client.complete(request))).kind).toBe('context_window_exceeded');
  });

  it('fails fast with unavailable when nothing listens on the port', async () => {
    const port = await closedPort();
    const dead = new OpenAiCompatibleClient({ provider: 'ollama', baseURL: `http://127.0.0.1:${port}/v1` });
    const started = Date.now();
    const err = await failureOf(dead.complete(request));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toContain('ollama');
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(collect(dead.stream(request))).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('times out a provider that never answers', async () => {
    const slow = new OpenAiCompatibleClient({
      provider: 'vllm',
      baseURL: fake.baseUrl,
      timeoutMs: 100,
      maxRetries: 0,
    });
    fake.enqueue({ content: 'late', delayMs: 1000 });
    const started = Date.now();
    const err = await failureOf(slow.complete(request));
    expect(err.kind).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('reports cancelled when aborted before the answer', async () => {
    fake.enqueue({ content: 'late', delayMs: 500 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await failureOf(client.complete({ ...request, signal: controller.signal }));
    expect(err.kind).toBe('cancelled');
  });

  it('reports cancelled when aborted mid-stream', async () => {
    fake.enqueue({ content: 'one two three four five six seven eight', chunkDelayMs: 30 });
    const controller = new AbortController();
    const seen: LlmStreamEvent[] = [];
    const run = (async () => {
      for await (const e of client.stream({ ...request, signal: controller.signal })) {
        seen.push(e);
        if (seen.length === 2) controller.abort();
      }
    })();
    const err = await failureOf(run);
    expect(err.kind).toBe('cancelled');
    expect(seen.some((e) => e.type === 'done')).toBe(false);
  });

  it('uses max_tokens for compatible servers and omits temperature for OpenAI reasoning models', async () => {
    const local = new OpenAiCompatibleClient({ provider: 'ollama', baseURL: fake.baseUrl });
    await local.complete({ ...request, model: 'llama3.1', maxTokens: 50 });
    expect(fake.lastRequest!.body).toMatchObject({ model: 'llama3.1', max_tokens: 50 });
    await client.complete({ ...request, model: 'o3-mini', temperature: 0.5, reasoningEffort: 'low' });
    expect(fake.lastRequest!.body.temperature).toBeUndefined();
    expect(fake.lastRequest!.body.reasoning_effort).toBe('low');
  });
});
