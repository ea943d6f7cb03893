export * from './types';
export * from './client-options';
export { OpenAiCompatibleClient } from './openai-compatible.client';
export { AnthropicClient } from './anthropic.client';
export { toLlmError } from './errors';
export { instrumentLlmClient } from './instrumentation';
export type { LlmCallInfo, LlmCallOutcome, LlmInstrumentation } from './instrumentation';
export {
  countTokens,
  countPieces,
  countMessages,
  countTools,
  warmTokenizer,
  EXACT_TOKEN_CHARS,
} from './tokens';
export {
  DEFAULT_CONTEXT_WINDOW,
  DEFAULT_MAX_OUTPUT_TOKENS,
  knownContextWindow,
  knownMaxOutputTokens,
  knownEmbeddingDim,
} from './known-models';
export * from './providers';
export * from './letta-models';
export { ProviderRegistry, parseModelHandle } from './registry';
export { fetchProviderModels } from './model-listing';
export type { RegistryOptions, ResolvedModel } from './registry';
