/**
 * What we know about common models without asking the provider: context window and output
 * limit. Lookups match the longest prefix of the lower-cased name, so dated snapshots
 * (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`) and Ollama tags (`llama3.1:8b`) resolve
 * to their family. Providers that report a window in their model list take precedence.
 */

export const DEFAULT_CONTEXT_WINDOW = 32_000;
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

interface KnownModel {
  contextWindow: number;
  maxOutput: number;
}

/** Longest prefix wins; keep families together for the reader's sake, order does not matter. */
const KNOWN_LLMS: Record<string, KnownModel> = {
  // OpenAI
  'gpt-5': { contextWindow: 272_000, maxOutput: 128_000 },
  'gpt-4.1': { contextWindow: 1_047_576, maxOutput: 32_768 },
  'gpt-4.5': { contextWindow: 128_000, maxOutput: 16_384 },
  'gpt-4o': { contextWindow: 128_000, maxOutput: 16_384 },
  'chatgpt-4o': { contextWindow: 128_000, maxOutput: 16_384 },
  'gpt-4-turbo': { contextWindow: 128_000, maxOutput: 4_096 },
  'gpt-4-0125': { contextWindow: 128_000, maxOutput: 4_096 },
  'gpt-4-1106': { contextWindow: 128_000, maxOutput: 4_096 },
  'gpt-4': { contextWindow: 8_192, maxOutput: 4_096 },
  'gpt-3.5-turbo': { contextWindow: 16_385, maxOutput: 4_096 },
  o1: { contextWindow: 200_000, maxOutput: 100_000 },
  o3: { contextWindow: 200_000, maxOutput: 100_000 },
  o4: { contextWindow: 200_000, maxOutput: 100_000 },
  'gpt-oss': { contextWindow: 131_072, maxOutput: 32_768 },
  // Anthropic
  claude: { contextWindow: 200_000, maxOutput: 8_192 },
  'claude-3-haiku': { contextWindow: 200_000, maxOutput: 4_096 },
  'claude-3-opus': { contextWindow: 200_000, maxOutput: 4_096 },
  'claude-3-7-sonnet': { contextWindow: 200_000, maxOutput: 64_000 },
  'claude-sonnet-4': { contextWindow: 200_000, maxOutput: 64_000 },
  'claude-haiku-4': { contextWindow: 200_000, maxOutput: 64_000 },
  'claude-opus-4': { contextWindow: 200_000, maxOutput: 32_000 },
  'claude-opus-4-5': { contextWindow: 200_000, maxOutput: 64_000 },
  // Open-weight families as served by Ollama, vLLM, LM Studio, Together, Groq
  llama3: { contextWindow: 8_192, maxOutput: 4_096 },
  'llama3.1': { contextWindow: 131_072, maxOutput: 8_192 },
  'llama3.2': { contextWindow: 131_072, maxOutput: 8_192 },
  'llama3.3': { contextWindow: 131_072, maxOutput: 8_192 },
  'llama-3.1': { contextWindow: 131_072, maxOutput: 8_192 },
  'llama-3.3': { contextWindow: 131_072, maxOutput: 8_192 },
  'meta-llama/llama-3.1': { contextWindow: 131_072, maxOutput: 8_192 },
  'meta-llama/llama-3.3': { contextWindow: 131_072, maxOutput: 8_192 },
  'meta-llama/meta-llama-3.1': { contextWindow: 131_072, maxOutput: 8_192 },
  qwen2: { contextWindow: 32_768, maxOutput: 8_192 },
  'qwen2.5': { contextWindow: 32_768, maxOutput: 8_192 },
  qwen3: { contextWindow: 40_960, maxOutput: 8_192 },
  mistral: { contextWindow: 32_768, maxOutput: 8_192 },
  'mistral-nemo': { contextWindow: 131_072, maxOutput: 8_192 },
  mixtral: { contextWindow: 32_768, maxOutput: 8_192 },
  gemma2: { contextWindow: 8_192, maxOutput: 4_096 },
  gemma3: { contextWindow: 131_072, maxOutput: 8_192 },
  phi3: { contextWindow: 131_072, maxOutput: 4_096 },
  phi4: { contextWindow: 16_384, maxOutput: 4_096 },
  'deepseek-r1': { contextWindow: 131_072, maxOutput: 8_192 },
  'deepseek-chat': { contextWindow: 64_000, maxOutput: 8_192 },
};

export interface KnownEmbedding {
  dim: number;
}

/** Embedding models we can list with their dimension (exact names, tags stripped). */
export const KNOWN_EMBEDDINGS: Record<string, KnownEmbedding> = {
  'text-embedding-3-small': { dim: 1536 },
  'text-embedding-3-large': { dim: 3072 },
  'text-embedding-ada-002': { dim: 1536 },
  'nomic-embed-text': { dim: 768 },
  'mxbai-embed-large': { dim: 1024 },
  'all-minilm': { dim: 384 },
  'bge-m3': { dim: 1024 },
  'snowflake-arctic-embed': { dim: 1024 },
  'BAAI/bge-large-en-v1.5': { dim: 1024 },
  'BAAI/bge-base-en-v1.5': { dim: 768 },
};

export const OPENAI_EMBEDDING_MODELS = [
  'text-embedding-3-small',
  'text-embedding-3-large',
  'text-embedding-ada-002',
];

function lookup(model: string): KnownModel | undefined {
  const name = model.toLowerCase();
  let best: string | undefined;
  for (const prefix of Object.keys(KNOWN_LLMS)) {
    if (name.startsWith(prefix) && (!best || prefix.length > best.length)) best = prefix;
  }
  return best ? KNOWN_LLMS[best] : undefined;
}

export function knownContextWindow(model: string): number | undefined {
  return lookup(model)?.contextWindow;
}

export function knownMaxOutputTokens(model: string): number | undefined {
  return lookup(model)?.maxOutput;
}

export function knownEmbeddingDim(model: string): number | undefined {
  return KNOWN_EMBEDDINGS[model]?.dim ?? KNOWN_EMBEDDINGS[model.split(':')[0]]?.dim;
}

/** Whether a model name looks like an embedding model rather than a chat model. */
export function looksLikeEmbedding(model: string): boolean {
  return /embed|bge-|minilm/i.test(model);
}

/**
 * OpenAI reasoning models (o-series, gpt-5) reject `temperature` other than the default and
 * take `max_completion_tokens` instead of `max_tokens`.
 */
export function isOpenAiReasoningModel(model: string): boolean {
  return /^(o\d|gpt-5)/i.test(model);
}

/** OpenAI's `/models` lists audio, image and moderation models too; keep the chat ones. */
export function isOpenAiChatModel(model: string): boolean {
  if (!/^(gpt-|o\d|chatgpt-)/i.test(model)) return false;
  return !/(audio|realtime|tts|transcribe|search|image|instruct|embedding|moderation|dall-e|whisper)/i.test(
    model,
  );
}
