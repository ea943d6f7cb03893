import OpenAI from 'openai';
import { FakeOpenAiServer } from '../../../test/support/fake-openai';
import { OpenAiCompatibleClient } from './openai-compatible.client';

/** The fake server's own contract, which e2e tests and benchmarks rely on. */
describe('FakeOpenAiServer scripting', () => {
  let fake: FakeOpenAiServer;
  let client: OpenAiCompatibleClient;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ embeddingDim: 8 });
    client = new OpenAiCompatibleClient({ provider: 'openai', baseURL: fake.baseUrl, maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('answers from a function that sees the request, then falls back to the default reply', async () => {
    fake.enqueue((req) => ({ content: `you said: ${req.body.messages.at(-1).content}` }));
    const first = await client.complete({ model: 'm', messages: [{ role: 'user', content: 'ping' }] });
    expect(first.content).toBe('you said: ping');
    expect(fake.pending).toBe(0);
    fake.defaultReply = { content: 'default!' };
    const second = await client.complete({ model: 'm', messages: [{ role: 'user', content: 'again' }] });
    expect(second.content).toBe('default!');
    expect(fake.chatRequests).toHaveLength(2);
  });

  it('applies latencyMs to every completion', async () => {
    fake.latencyMs = 80;
    const started = Date.now();
    await client.complete({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    fake.latencyMs = 0;
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('serves deterministic, normalised embeddings (float and the SDK default base64)', async () => {
    const sdk = new OpenAI({ apiKey: 'k', baseURL: fake.baseUrl });
    const a = await sdk.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['red apple pie', 'red apple'],
    });
    const b = await sdk.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'red apple pie',
      encoding_format: 'float',
    });
    expect(a.data[0].embedding).toHaveLength(8);
    a.data[0].embedding.forEach((x, i) => expect(x).toBeCloseTo(b.data[0].embedding[i], 5));
    const norm = Math.hypot(...b.data[0].embedding);
    expect(norm).toBeCloseTo(1, 5);
    const wide = await sdk.embeddings.create({ model: 'x', input: 'hello', dimensions: 16 });
    expect(wide.data[0].embedding).toHaveLength(16);
  });
});
