import OpenAI from 'openai';
import { knownEmbeddingDimensions } from './known-models';
import { EmbeddingClient, EmbeddingError } from './types';

export interface OpenAiEmbedderOptions {
  /** `openai/<model>`, `ollama/<model>`, ...: how the registry and Letta configs name it. */
  handle: string;
  /** The model name sent to the server. */
  model: string;
  /** Any OpenAI-compatible API root: `https://api.openai.com/v1`, `http://localhost:11434/v1`, vLLM... */
  baseURL: string;
  apiKey: string;
  /** Texts per request (default 96). */
  batchSize?: number;
  /** Retries per request on connection errors, 408/409/429 and 5xx, with backoff (default 2). */
  maxRetries?: number;
  /** Per-attempt timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** Vector size, when known and not in our table; otherwise read from the first response. */
  dimensions?: number;
}

export const DEFAULT_EMBEDDING_BATCH_SIZE = 96;

/**
 * Embeddings from any server that speaks OpenAI's `POST /embeddings` (OpenAI, Ollama's `/v1`,
 * vLLM, LM Studio, ...), through the official SDK, which also does the retrying. Inputs are sent
 * in batches one request at a time, and the vectors come back in input order.
 */
export class OpenAiEmbedder implements EmbeddingClient {
  readonly handle: string;
  readonly model: string;
  readonly baseURL: string;
  readonly batchSize: number;
  private dims: number | undefined;
  private readonly client: OpenAI;

  constructor(options: OpenAiEmbedderOptions) {
    this.handle = options.handle;
    this.model = options.model;
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_EMBEDDING_BATCH_SIZE));
    this.dims = options.dimensions ?? knownEmbeddingDimensions(options.model);
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: this.baseURL,
      maxRetries: options.maxRetries ?? 2,
      timeout: options.timeoutMs ?? 60_000,
    });
  }

  get dimensions(): number | undefined {
    return this.dims;
  }

  /** The vector size, asking the server once (one short input) if it is not known yet. */
  async probeDimensions(): Promise<number> {
    if (this.dims === undefined) await this.embed(['dimension probe']);
    return this.dims!;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      out.push(...(await this.embedBatch(texts.slice(start, start + this.batchSize))));
    }
    return out;
  }

  private async embedBatch(input: string[]): Promise<number[][]> {
    let res: OpenAI.CreateEmbeddingResponse;
    try {
      // 'float' explicitly: the SDK otherwise asks for base64, which not every compatible server speaks.
      res = await this.client.embeddings.create({ model: this.model, input, encoding_format: 'float' });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new EmbeddingError(
        'provider_error',
        `Embedding request to ${this.baseURL} (${this.handle}) failed: ${detail}`,
        {
          cause: err,
        },
      );
    }
    const data = [...res.data].sort((a, b) => a.index - b.index);
    if (data.length !== input.length) {
      throw new EmbeddingError(
        'provider_error',
        `${this.handle}: sent ${input.length} texts, got ${data.length} embeddings back`,
      );
    }
    const vectors = data.map((d) => d.embedding);
    for (const v of vectors) {
      if (this.dims === undefined) this.dims = v.length;
      if (v.length !== this.dims) {
        throw new EmbeddingError(
          'provider_error',
          `${this.handle}: expected ${this.dims} dimensions, got ${v.length}`,
        );
      }
    }
    return vectors;
  }
}
