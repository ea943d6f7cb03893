/** Vector sizes of common embedding models, so configs can be built without a request. */
const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  // Ollama
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
  'all-minilm': 384,
  'snowflake-arctic-embed': 1024,
  'bge-m3': 1024,
};

/** The size of `model` if we know it (an Ollama tag such as `:latest` is ignored). */
export function knownEmbeddingDimensions(model: string): number | undefined {
  return KNOWN_DIMENSIONS[model] ?? KNOWN_DIMENSIONS[model.replace(/:[^/:]+$/, '')];
}

/** OpenAI's own embedding models, listed when an OpenAI key is configured. */
export const OPENAI_EMBEDDING_MODELS = [
  'text-embedding-3-small',
  'text-embedding-3-large',
  'text-embedding-ada-002',
];
