export * from './types';
export {
  LocalEmbedder,
  LOCAL_EMBEDDING_DIM,
  LOCAL_EMBEDDING_HANDLE,
  LOCAL_EMBEDDING_MODEL,
} from './local-embedder';
export { OpenAiEmbedder, DEFAULT_EMBEDDING_BATCH_SIZE } from './openai-embedder';
export type { OpenAiEmbedderOptions } from './openai-embedder';
export { knownEmbeddingDimensions, OPENAI_EMBEDDING_MODELS } from './known-models';
export { EmbeddingRegistry, parseEmbeddingHandle, DEFAULT_EMBEDDING_CHUNK_SIZE } from './registry';
export type { EmbeddingEnv } from './registry';
