import { FakeOpenAiServer } from '../../../test/support/fake-openai';
import { LlmCallInfo, LlmCallOutcome } from './instrumentation';
import { ProviderRegistry } from './registry';
import { LlmError, LlmRequest } from './types';

const request: LlmRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] };

describe('LLM instrumentation through the registry', () => {
  let fake: FakeOpenAiServer;
  let calls: { info: LlmCallInfo; result?: LlmCallOutcome; ends: number }[];
  let registry: ProviderRegistry;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    calls = [];
    registry = ProviderRegistry.fromEnv(
      { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseUrl, LLM_MAX_RETRIES: '0' },
      {
        instrumentation: {
          start(info) {
            const call: (typeof calls)[number] = { info, ends: 0 };
            calls.push(call);
            return (result) => {
              call.result = result;
              call.ends += 1;
            };
          },
        },
      },
    );
  });

  it('reports a completion with its provider, model and usage, once', async () => {
    fake.enqueue({ content: 'Hi.', usage: { promptTokens: 12, completionTokens: 2 } });
    const { client } = registry.resolve('openai/gpt-4o-mini');
    const response = await client.complete(request);
    expect(response.content).toBe('Hi.');
    expect(calls).toEqual([
      {
        info: { provider: 'openai', model: 'gpt-4o-mini', stream: false },
        result: {
          outcome: 'ok',
          finishReason: 'stop',
          usage: expect.objectContaining({ promptTokens: 12, completionTokens: 2 }),
        },
        ends: 1,
      },
    ]);
  });

  it('reports a stream when its last event arrives, with the usage', async () => {
    fake.enqueue({ content: 'one two three', usage: { promptTokens: 7, completionTokens: 3 } });
    const { client } = registry.resolve('openai/gpt-4o-mini');
    const types: string[] = [];
    for await (const e of client.stream(request)) types.push(e.type);
    expect(types.at(-1)).toBe('done');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      info: { stream: true },
      result: { outcome: 'ok', usage: { promptTokens: 7, completionTokens: 3 } },
      ends: 1,
    });
  });

  it('reports a stream its reader abandoned as cancelled', async () => {
    fake.enqueue({ content: 'one two three four five six', chunkDelayMs: 20 });
    const { client } = registry.resolve('openai/gpt-4o-mini');
    for await (const e of client.stream(request)) {
      if (e.type === 'content_delta') break;
    }
    expect(calls).toMatchObject([{ result: { outcome: 'cancelled' }, ends: 1 }]);
  });

  it('reports a provider error, and the caller still gets the LlmError', async () => {
    fake.enqueue({ status: 400, error: 'bad things' });
    const { client } = registry.resolve('openai/gpt-4o-mini');
    await expect(client.complete(request)).rejects.toBeInstanceOf(LlmError);
    expect(calls).toHaveLength(1);
    expect(calls[0].result).toMatchObject({ outcome: 'error', error: expect.any(LlmError) });
    expect(calls[0].ends).toBe(1);
  });
});
