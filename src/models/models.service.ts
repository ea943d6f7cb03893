import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { LlmError, ProviderRegistry, ResolvedModel, warmTokenizer } from '@engram/llm';
import {
  EmbeddingError,
  EmbeddingRegistry,
  knownEmbeddingDimensions,
  LOCAL_EMBEDDING_HANDLE,
  parseEmbeddingHandle,
} from '@engram/embeddings';
import { BadRequestError, InvalidInputError } from '../common/errors';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { llmInstrumentation } from '../observability/llm-instrumentation';
import { MetricsService } from '../observability/metrics.service';
import { EMBEDDING_ENDPOINT_TYPES as EMBEDDING_ENDPOINT_TYPES_LIST } from './models.response';

/** Providers whose handles agents may name; whether each is configured is checked at send time. */
const LLM_PROVIDERS: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  ollama: 'ollama',
  groq: 'groq',
  together: 'together',
  vllm: 'vllm',
  lmstudio: 'lmstudio',
  'openai-compatible': 'openai',
};

const CONTEXT_DEFAULT = 32_000;

/** The client's `embedding_endpoint_type` values a handle's provider may stand for. */
const EMBEDDING_ENDPOINT_TYPES = new Set<string>(EMBEDDING_ENDPOINT_TYPES_LIST);

/**
 * Turns model and embedding handles into the llm_config / embedding_config an agent stores.
 */
@Injectable()
export class ModelsService implements OnModuleInit {
  readonly registry: ProviderRegistry;
  private readonly embeddings: EmbeddingRegistry;

  constructor(@Inject(APP_CONFIG) config: AppConfig, metrics: MetricsService) {
    this.registry = ProviderRegistry.fromEnv(config.rawEnv, { instrumentation: llmInstrumentation(metrics) });
    this.embeddings = EmbeddingRegistry.fromEnv(config.rawEnv);
  }

  /** The tokenizer takes about half a second to build: at boot, not inside the first request. */
  onModuleInit(): void {
    warmTokenizer();
  }

  /**
   * The client for an agent's model. A provider that is not configured is the caller's to fix:
   * a 400 whose detail names the environment variable to set, never a hang or a 500.
   */
  resolve(handle: string): ResolvedModel {
    try {
      return this.registry.resolve(handle);
    } catch (err) {
      if (err instanceof LlmError && err.kind === 'not_configured') {
        throw new BadRequestError(err.message, 'provider_not_configured');
      }
      throw err;
    }
  }

  /**
   * The handle of a model named with or without its provider. A handle (`openai/gpt-4o-mini`,
   * any known provider prefix) is returned as it is; a bare name (`gpt-4o-mini`, as Letta's
   * tutorials write it) is the handle of the configured provider whose model list has it
   * (GET /v1/models). None: a 422 naming `field`; several: a 422 listing their handles to pick
   * from, rather than a guess that would change with the environment.
   */
  async modelHandle(model: string, field = 'model'): Promise<string> {
    const slash = model.indexOf('/');
    const prefix = slash > 0 ? model.slice(0, slash).toLowerCase() : '';
    if (prefix && (prefix in LLM_PROVIDERS || this.registry.has(prefix))) return model;
    const listed = await this.registry.listLlmModels();
    const handles = [
      ...new Set(
        listed
          .filter((m) => m.name === model || m.model === model)
          .flatMap((m) => (m.handle ? [m.handle] : [])),
      ),
    ].sort();
    if (handles.length === 1) return handles[0];
    if (!handles.length)
      throw new InvalidInputError(
        `${field}: no configured provider serves a model named '${model}' (GET /v1/models lists them); ` +
          `give a handle such as 'openai/${model}'`,
        'unknown_model',
      );
    throw new InvalidInputError(
      `${field}: '${model}' is served by several providers; give one of the handles ${handles.join(', ')}`,
      'ambiguous_model',
    );
  }

  async listEmbeddingModels(): Promise<Record<string, unknown>[]> {
    const local = await this.embeddings.embeddingConfigFor(LOCAL_EMBEDDING_HANDLE);
    return [
      {
        ...local,
        display_name: 'Local hashed n-gram embedder (offline)',
        handle: LOCAL_EMBEDDING_HANDLE,
        provider_name: 'local',
        // Letta has no "local" provider type: a model run in-process is its hugging-face kind.
        provider_type: 'hugging-face',
        model_type: 'embedding',
        name: 'hash-embedding-v1',
      },
      ...((await this.registry.listEmbeddingModels()) as unknown as Record<string, unknown>[]),
    ];
  }

  llmConfig(
    handle: string | undefined | null,
    explicit: Record<string, unknown> | undefined | null,
    overrides: {
      contextWindow?: number | null;
      maxTokens?: number | null;
      parallelToolCalls?: boolean | null;
      enableReasoner?: boolean | null;
      maxReasoningTokens?: number | null;
    } = {},
  ): Record<string, unknown> {
    let config: Record<string, unknown>;
    if (handle) {
      const [provider, ...rest] = handle.split('/');
      const model = rest.join('/');
      const endpointType = LLM_PROVIDERS[provider];
      if (!endpointType || !model) {
        throw new InvalidInputError(
          `model: unknown provider '${provider}' in handle '${handle}' (known: ${Object.keys(LLM_PROVIDERS).join(', ')})`,
        );
      }
      const known = this.registry.has(provider) ? this.registry.llmConfigFor(handle) : undefined;
      config = {
        model,
        model_endpoint_type: endpointType,
        provider_name: provider,
        provider_category: 'base',
        handle,
        context_window: CONTEXT_DEFAULT,
        temperature: 0.7,
        max_tokens: null,
        put_inner_thoughts_in_kwargs: false,
        enable_reasoner: false,
        parallel_tool_calls: false,
        ...(known ?? {}),
        ...(explicit ?? {}),
      };
      config.handle = handle;
      config.model = model;
    } else if (explicit) {
      if (typeof explicit.model !== 'string' || !explicit.model) {
        throw new InvalidInputError('llm_config.model is required');
      }
      if (typeof explicit.model_endpoint_type !== 'string') {
        throw new InvalidInputError('llm_config.model_endpoint_type is required');
      }
      config = { context_window: CONTEXT_DEFAULT, ...explicit };
      if (!config.handle) config.handle = `${explicit.model_endpoint_type}/${explicit.model}`;
    } else {
      throw new InvalidInputError(
        "model is required: pass a handle such as 'openai/gpt-4o-mini' or an llm_config",
      );
    }
    if (typeof config.context_window !== 'number' || config.context_window < 1) {
      throw new InvalidInputError('llm_config.context_window must be a positive integer');
    }
    if (overrides.contextWindow) config.context_window = overrides.contextWindow;
    if (overrides.maxTokens) config.max_tokens = overrides.maxTokens;
    if (overrides.parallelToolCalls != null) config.parallel_tool_calls = overrides.parallelToolCalls;
    if (overrides.enableReasoner != null) config.enable_reasoner = overrides.enableReasoner;
    if (overrides.maxReasoningTokens != null) config.max_reasoning_tokens = overrides.maxReasoningTokens;
    return config;
  }

  /**
   * The embedding_config an agent stores for a handle (or an explicit config), with the model's
   * real vector size: asked of the embedding registry when the provider is configured, else the
   * known size of a common model, else the config's own `embedding_dim`. A handle whose size
   * cannot be told, or whose provider is not one of Letta's endpoint types, is a 422 naming it.
   */
  async embeddingConfig(
    handle: string | undefined | null,
    explicit?: Record<string, unknown> | null,
    chunkSize?: number | null,
  ): Promise<Record<string, unknown>> {
    const h = handle ?? (explicit?.handle as string | undefined) ?? this.embeddings.defaultHandle();
    const config: Record<string, unknown> = {
      ...(await this.describeEmbedding(h, explicit, handle ? 'embedding' : 'embedding_config')),
      ...(explicit ?? {}),
    };
    if (handle) config.handle = handle;
    if (chunkSize) config.embedding_chunk_size = chunkSize;
    return config;
  }

  private async describeEmbedding(
    handle: string,
    explicit: Record<string, unknown> | null | undefined,
    field: string,
  ): Promise<Record<string, unknown>> {
    let provider: string;
    let model: string;
    try {
      ({ provider, model } = parseEmbeddingHandle(handle));
    } catch (err) {
      throw new InvalidInputError(`${field}: ${(err as Error).message}`);
    }
    if (this.embeddings.isConfigured(handle)) {
      try {
        return { ...(await this.embeddings.embeddingConfigFor(handle)) };
      } catch (err) {
        // The provider did not answer the size probe: fall through to what we know.
        if (!(err instanceof EmbeddingError)) throw err;
      }
    } else if (provider === 'local') {
      throw new InvalidInputError(
        `${field}: unknown local embedding model '${model}' (the local embedder is '${LOCAL_EMBEDDING_HANDLE}')`,
      );
    }
    const endpointType = provider === 'openai-compatible' ? 'openai' : provider;
    if (!EMBEDDING_ENDPOINT_TYPES.has(endpointType)) {
      throw new InvalidInputError(
        `${field}: unknown embedding provider '${provider}' in '${handle}' (known: ${[...EMBEDDING_ENDPOINT_TYPES].join(', ')})`,
      );
    }
    const dim =
      typeof explicit?.embedding_dim === 'number' ? explicit.embedding_dim : knownEmbeddingDimensions(model);
    if (!dim) {
      throw new InvalidInputError(
        `${field}: the vector size of '${handle}' is unknown: configure its provider, or pass embedding_config.embedding_dim`,
      );
    }
    return {
      embedding_endpoint_type: endpointType,
      embedding_endpoint: null,
      embedding_model: model,
      embedding_dim: dim,
      embedding_chunk_size: 300,
      batch_size: 32,
      handle,
    };
  }
}
