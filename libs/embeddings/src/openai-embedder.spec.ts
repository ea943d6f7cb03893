import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { OpenAiEmbedder } from './openai-embedder';
import { EmbeddingError } from './types';

interface Seen {
  model: string;
  input: string[];
  encoding_format?: string;
  authorization?: string;
}

/** A tiny OpenAI-compatible `POST /v1/embeddings`: vector = [length, index-in-batch, marker]. */
async function startFakeServer(opts: { failFirst?: number; dims?: number; shuffle?: boolean } = {}) {
  const seen: Seen[] = [];
  let failures = opts.failFirst ?? 0;
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      res.writeHead(404).end();
      return;
    }
    if (failures > 0) {
      failures--;
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'busy' } }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    seen.push({ ...body, authorization: req.headers.authorization });
    const dims = opts.dims ?? 3;
    const data = (body.input as string[]).map((text, index) => ({
      object: 'embedding',
      index,
      embedding: Array.from({ length: dims }, (_, d) => (d === 0 ? text.length : d === 1 ? index : 0.5)),
    }));
    if (opts.shuffle) data.reverse();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        object: 'list',
        data,
        model: body.model,
        usage: { prompt_tokens: 1, total_tokens: 1 },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('OpenAiEmbedder', () => {
  it('sends ceil(N / batch) requests and keeps the input order', async () => {
    const fake = await startFakeServer({ shuffle: true });
    try {
      const embedder = new OpenAiEmbedder({
        handle: 'openai/test-embed',
        model: 'test-embed',
        baseURL: fake.baseURL,
        apiKey: 'sk-test',
        batchSize: 4,
      });
      const texts = Array.from({ length: 10 }, (_, i) => 'x'.repeat(i + 1));
      const vectors = await embedder.embed(texts);

      expect(fake.seen.map((s) => s.input.length)).toEqual([4, 4, 2]);
      expect(fake.seen.flatMap((s) => s.input)).toEqual(texts);
      expect(fake.seen.every((s) => s.model === 'test-embed' && s.encoding_format === 'float')).toBe(true);
      expect(fake.seen[0].authorization).toBe('Bearer sk-test');
      expect(vectors.map((v) => v[0])).toEqual(texts.map((t) => t.length)); // order preserved
      expect(embedder.dimensions).toBe(3); // unknown model: learned from the first response
      await expect(embedder.embed([])).resolves.toEqual([]);
      expect(fake.seen).toHaveLength(3);
    } finally {
      await fake.close();
    }
  });

  it('knows the size of OpenAI models before any request', () => {
    const make = (model: string) =>
      new OpenAiEmbedder({ handle: `openai/${model}`, model, baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k' });
    expect(make('text-embedding-3-small').dimensions).toBe(1536);
    expect(make('text-embedding-3-large').dimensions).toBe(3072);
    expect(make('text-embedding-ada-002').dimensions).toBe(1536);
    expect(make('something-else').dimensions).toBeUndefined();
  });

  it('probes an unknown size once', async () => {
    const fake = await startFakeServer({ dims: 7 });
    try {
      const embedder = new OpenAiEmbedder({
        handle: 'ollama/x',
        model: 'x',
        baseURL: fake.baseURL,
        apiKey: 'k',
      });
      await expect(embedder.probeDimensions()).resolves.toBe(7);
      await expect(embedder.probeDimensions()).resolves.toBe(7);
      expect(fake.seen).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('retries a bounded number of times, then fails with a provider error', async () => {
    const flaky = await startFakeServer({ failFirst: 1 });
    try {
      const embedder = new OpenAiEmbedder({
        handle: 'openai/m',
        model: 'm',
        baseURL: flaky.baseURL,
        apiKey: 'k',
        maxRetries: 1,
      });
      await expect(embedder.embed(['hello'])).resolves.toHaveLength(1);
    } finally {
      await flaky.close();
    }
    const down = await startFakeServer({ failFirst: 100 });
    try {
      const embedder = new OpenAiEmbedder({
        handle: 'openai/m',
        model: 'm',
        baseURL: down.baseURL,
        apiKey: 'k',
        maxRetries: 1,
      });
      const err = await embedder.embed(['hello']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EmbeddingError);
      expect((err as EmbeddingError).code).toBe('provider_error');
      expect((err as EmbeddingError).message).toContain('openai/m');
    } finally {
      await down.close();
    }
  });
});
