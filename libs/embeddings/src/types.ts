/** Turns texts into vectors. One instance per model handle; safe to share. */
export interface EmbeddingClient {
  /** `provider/model`, e.g. `local/hash-embedding-v1`, `openai/text-embedding-3-small`. */
  readonly handle: string;
  /**
   * Length of every vector this client returns. `undefined` only for a remote model whose size
   * is not in our table and that has not answered yet; `probeDimensions()` settles it.
   */
  readonly dimensions: number | undefined;
  /** One vector per text, in the order given. */
  embed(texts: string[]): Promise<number[][]>;
}

export type EmbeddingErrorCode = 'not_configured' | 'bad_config' | 'bad_handle' | 'provider_error';

export class EmbeddingError extends Error {
  constructor(
    readonly code: EmbeddingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmbeddingError';
  }
}

/** Letta's `EmbeddingConfig` (from `@letta-ai/letta-client` resources/models), the fields we fill. */
export interface LettaEmbeddingConfig {
  embedding_endpoint_type: 'openai' | 'ollama' | 'hugging-face';
  embedding_model: string;
  embedding_dim: number;
  embedding_chunk_size: number;
  handle: string;
  batch_size: number;
  embedding_endpoint: string | null;
}
