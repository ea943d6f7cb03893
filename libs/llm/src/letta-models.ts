/**
 * Letta's model shapes (`LlmConfig`, `Model`, `EmbeddingModel` from @letta-ai/letta-client's
 * `resources/models/models.d.ts`), declared here so this library does not depend on the client
 * package, and the builders that fill them from provider settings.
 */
import {
  DEFAULT_CONTEXT_WINDOW,
  DEFAULT_MAX_OUTPUT_TOKENS,
  isOpenAiReasoningModel,
  knownContextWindow,
  knownMaxOutputTokens,
} from './known-models';
import { EndpointType, ProviderSettings, ProviderType } from './providers';

export interface LettaLlmConfig {
  model: string;
  display_name: string | null;
  model_endpoint_type: EndpointType;
  model_endpoint: string | null;
  provider_name: string | null;
  provider_category: 'base' | 'byok' | null;
  model_wrapper: string | null;
  context_window: number;
  put_inner_thoughts_in_kwargs: boolean | null;
  handle: string | null;
  temperature: number;
  max_tokens: number | null;
  enable_reasoner: boolean;
  reasoning_effort: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | null;
  max_reasoning_tokens: number;
  frequency_penalty: number | null;
  compatibility_type: 'gguf' | 'mlx' | null;
  verbosity: 'low' | 'medium' | 'high' | null;
  tier: string | null;
  parallel_tool_calls: boolean | null;
  strict: boolean;
}

export interface LettaModel extends LettaLlmConfig {
  name: string;
  max_context_window: number;
  provider_type: ProviderType;
  model_type: 'llm';
}

export interface LettaEmbeddingModel {
  handle: string;
  name: string;
  display_name: string;
  embedding_model: string;
  embedding_endpoint_type: EndpointType;
  embedding_endpoint: string | null;
  embedding_dim: number;
  embedding_chunk_size: number;
  batch_size: number;
  provider_name: string;
  provider_type: ProviderType;
  model_type: 'embedding';
}

/** What a provider's model list told us about one model. */
export interface ListedModel {
  id: string;
  displayName?: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  /** Set when the listing says outright whether this is a chat or an embedding model. */
  kind?: 'llm' | 'embedding' | 'other';
}

/** Letta's default chunk size for embedding ingestion. */
export const DEFAULT_EMBEDDING_CHUNK_SIZE = 300;
const DEFAULT_EMBEDDING_BATCH_SIZE = 1024;
/** Output budget we default to even for models that allow much more, so context stays for input. */
const MAX_DEFAULT_OUTPUT_TOKENS = 16_384;

export function buildLlmConfig(
  provider: ProviderSettings,
  model: string,
  listed?: ListedModel,
): LettaLlmConfig {
  const contextWindow = listed?.contextWindow ?? knownContextWindow(model) ?? DEFAULT_CONTEXT_WINDOW;
  const maxOutput = listed?.maxOutputTokens ?? knownMaxOutputTokens(model) ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const reasoner = provider.providerType === 'openai' && isOpenAiReasoningModel(model);
  return {
    model,
    display_name: listed?.displayName ?? model,
    model_endpoint_type: provider.endpointType,
    model_endpoint: provider.baseUrl,
    provider_name: provider.name,
    provider_category: 'base',
    model_wrapper: null,
    context_window: contextWindow,
    put_inner_thoughts_in_kwargs: false,
    handle: `${provider.name}/${model}`,
    temperature: 0.7,
    max_tokens: Math.min(maxOutput, MAX_DEFAULT_OUTPUT_TOKENS, Math.floor(contextWindow / 2)),
    enable_reasoner: reasoner,
    reasoning_effort: reasoner ? 'medium' : null,
    max_reasoning_tokens: 0,
    frequency_penalty: null,
    compatibility_type: null,
    verbosity: null,
    tier: null,
    parallel_tool_calls: false,
    strict: false,
  };
}

export function buildModel(provider: ProviderSettings, model: string, listed?: ListedModel): LettaModel {
  const config = buildLlmConfig(provider, model, listed);
  return {
    ...config,
    name: model,
    max_context_window: config.context_window,
    provider_type: provider.providerType,
    model_type: 'llm',
  };
}

export function buildEmbeddingModel(
  provider: ProviderSettings,
  model: string,
  dim: number,
): LettaEmbeddingModel {
  return {
    handle: `${provider.name}/${model}`,
    name: model,
    display_name: model,
    embedding_model: model,
    embedding_endpoint_type: provider.endpointType,
    embedding_endpoint: provider.baseUrl,
    embedding_dim: dim,
    embedding_chunk_size: DEFAULT_EMBEDDING_CHUNK_SIZE,
    batch_size: DEFAULT_EMBEDDING_BATCH_SIZE,
    provider_name: provider.name,
    provider_type: provider.providerType,
    model_type: 'embedding',
  };
}
