/**
 * The configured LLM providers and the way from a model handle (`provider/model`) to a client.
 * Built from an env object; tests register providers (or whole clients) explicitly.
 */
import { AnthropicClient } from './anthropic.client';
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from './client-options';
import {
  isOpenAiChatModel,
  knownEmbeddingDim,
  looksLikeEmbedding,
  OPENAI_EMBEDDING_MODELS,
} from './known-models';
import {
  buildEmbeddingModel,
  buildLlmConfig,
  buildModel,
  LettaEmbeddingModel,
  LettaLlmConfig,
  LettaModel,
  ListedModel,
} from './letta-models';
import { instrumentLlmClient, LlmInstrumentation } from './instrumentation';
import { fetchProviderModels } from './model-listing';
import { OpenAiCompatibleClient } from './openai-compatible.client';
import { Env, PROVIDER_ALIASES, PROVIDER_ENV_VARS, ProviderSettings, providersFromEnv } from './providers';
import { LlmClient, LlmError } from './types';

export interface RegistryOptions {
  /** Per-attempt timeout of completion calls (env LLM_TIMEOUT_MS). */
  timeoutMs?: number;
  /** SDK retries of completion calls (env LLM_MAX_RETRIES). */
  maxRetries?: number;
  /** Timeout of each provider's model-list request. */
  listTimeoutMs?: number;
  /** How long a fetched model list is reused. */
  listCacheTtlMs?: number;
  /** How long a failed model-list fetch is remembered before trying again. */
  listFailureTtlMs?: number;
  /** Told about every LLM request of the clients this registry hands out (metrics, traces). */
  instrumentation?: LlmInstrumentation;
}

export interface ResolvedModel {
  client: LlmClient;
  /** Provider name (the handle prefix, aliases resolved). */
  provider: string;
  /** Model name as the provider knows it. */
  model: string;
  llmConfig: LettaLlmConfig;
}

/** Splits `provider/model`; the model part may itself contain slashes (`together/meta-llama/...`). */
export function parseModelHandle(handle: string): { provider: string; model: string } {
  const slash = handle.indexOf('/');
  if (slash <= 0 || slash === handle.length - 1) {
    throw new LlmError(
      'bad_request',
      `Invalid model handle "${handle}": expected "provider/model", e.g. "openai/gpt-4o-mini"`,
    );
  }
  const provider = handle.slice(0, slash).trim().toLowerCase();
  return { provider: PROVIDER_ALIASES[provider] ?? provider, model: handle.slice(slash + 1).trim() };
}

/** Hosted providers whose model list we can stand in for when their API cannot be reached. */
const FALLBACK_MODELS: Record<string, string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini'],
  anthropic: ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1'],
};

interface CacheEntry {
  expires: number;
  models: Promise<ListedModel[]>;
}

export class ProviderRegistry {
  private readonly settings = new Map<string, ProviderSettings>();
  private readonly clients = new Map<string, LlmClient>();
  private readonly listCache = new Map<string, CacheEntry>();
  /** The last successful listing per provider, kept past its TTL for sync lookups. */
  private readonly lastListed = new Map<string, ListedModel[]>();
  private readonly options: Required<Omit<RegistryOptions, 'instrumentation'>>;
  private readonly instrumentation?: LlmInstrumentation;

  constructor(providers: ProviderSettings[] = [], options: RegistryOptions = {}) {
    this.options = {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      listTimeoutMs: options.listTimeoutMs ?? 3_000,
      listCacheTtlMs: options.listCacheTtlMs ?? 5 * 60_000,
      listFailureTtlMs: options.listFailureTtlMs ?? 30_000,
    };
    this.instrumentation = options.instrumentation;
    for (const p of providers) this.register(p);
  }

  /** Providers from Letta-style env vars; LLM_TIMEOUT_MS and LLM_MAX_RETRIES tune the clients. */
  static fromEnv(env: Env, options: RegistryOptions = {}): ProviderRegistry {
    return new ProviderRegistry(providersFromEnv(env), {
      timeoutMs: positiveInt(env, 'LLM_TIMEOUT_MS'),
      maxRetries: positiveInt(env, 'LLM_MAX_RETRIES', true),
      ...options,
    });
  }

  /** Adds or replaces a provider. Pass `client` to use a ready-made client instead of an SDK one. */
  register(provider: ProviderSettings, client?: LlmClient): this {
    this.settings.set(provider.name, provider);
    this.listCache.delete(provider.name);
    this.lastListed.delete(provider.name);
    if (client) this.clients.set(provider.name, this.instrument(client));
    else this.clients.delete(provider.name);
    return this;
  }

  /** Configured providers, in registration order. */
  listProviders(): ProviderSettings[] {
    return [...this.settings.values()];
  }

  has(provider: string): boolean {
    return this.settings.has(PROVIDER_ALIASES[provider] ?? provider);
  }

  /** The client, names and stored config for a handle; throws `not_configured` naming the env var. */
  resolve(handle: string): ResolvedModel {
    const { provider, model } = parseModelHandle(handle);
    const settings = this.requireProvider(provider, handle);
    return { client: this.clientFor(settings), provider, model, llmConfig: this.configFor(settings, model) };
  }

  /** The LlmConfig a new agent stores for this handle. */
  llmConfigFor(handle: string): LettaLlmConfig {
    const { provider, model } = parseModelHandle(handle);
    return this.configFor(this.requireProvider(provider, handle), model);
  }

  /** Chat models of every configured provider, as Letta `Model` objects. */
  async listLlmModels(): Promise<LettaModel[]> {
    const perProvider = await Promise.all(
      this.listProviders().map(async (p) => {
        const listed = await this.listed(p);
        return listed.filter((m) => isChatModel(p, m)).map((m) => buildModel(p, m.id, m));
      }),
    );
    return perProvider.flat();
  }

  /** Embedding models of every configured provider whose dimension we know. */
  async listEmbeddingModels(): Promise<LettaEmbeddingModel[]> {
    const perProvider = await Promise.all(
      this.listProviders().map(async (p): Promise<LettaEmbeddingModel[]> => {
        if (p.api === 'anthropic' || p.providerType === 'groq') return [];
        if (p.providerType === 'openai' && isOfficialOpenAi(p)) {
          return OPENAI_EMBEDDING_MODELS.map((m) => buildEmbeddingModel(p, m, knownEmbeddingDim(m)!));
        }
        const out: LettaEmbeddingModel[] = [];
        for (const m of await this.listed(p)) {
          const dim = knownEmbeddingDim(m.id);
          const isEmbedding = m.kind === 'embedding' || (m.kind === undefined && looksLikeEmbedding(m.id));
          if (isEmbedding && dim) out.push(buildEmbeddingModel(p, m.id, dim));
        }
        return out;
      }),
    );
    return perProvider.flat();
  }

  /** Drops cached model lists (e.g. after a provider's models changed). */
  invalidateModelCache(): void {
    this.listCache.clear();
  }

  private requireProvider(provider: string, handle: string): ProviderSettings {
    const settings = this.settings.get(provider);
    if (settings) return settings;
    const envVar = PROVIDER_ENV_VARS[provider];
    if (envVar) {
      throw new LlmError(
        'not_configured',
        `Model "${handle}" needs the ${provider} provider, which is not configured: set ${envVar}`,
        { provider, envVar },
      );
    }
    const known = [...new Set([...this.settings.keys(), ...Object.keys(PROVIDER_ENV_VARS)])].join(', ');
    throw new LlmError(
      'not_configured',
      `Unknown provider "${provider}" in model handle "${handle}" (known: ${known})`,
      {
        provider,
      },
    );
  }

  private clientFor(settings: ProviderSettings): LlmClient {
    let client = this.clients.get(settings.name);
    if (!client) {
      const options = {
        provider: settings.name,
        baseURL: settings.baseUrl,
        apiKey: settings.apiKey,
        timeoutMs: this.options.timeoutMs,
        maxRetries: this.options.maxRetries,
      };
      client = this.instrument(
        settings.api === 'anthropic' ? new AnthropicClient(options) : new OpenAiCompatibleClient(options),
      );
      this.clients.set(settings.name, client);
    }
    return client;
  }

  private instrument(client: LlmClient): LlmClient {
    return this.instrumentation ? instrumentLlmClient(client, this.instrumentation) : client;
  }

  private configFor(settings: ProviderSettings, model: string): LettaLlmConfig {
    const listed = this.lastListed.get(settings.name)?.find((m) => m.id === model);
    return buildLlmConfig(settings, model, listed);
  }

  /** The provider's model list, cached; on failure a small fallback for hosted providers. */
  private listed(provider: ProviderSettings): Promise<ListedModel[]> {
    const now = Date.now();
    const cached = this.listCache.get(provider.name);
    if (cached && cached.expires > now) return cached.models;
    const entry: CacheEntry = { expires: now + this.options.listCacheTtlMs, models: Promise.resolve([]) };
    entry.models = fetchProviderModels(provider, this.options.listTimeoutMs).then(
      (models) => {
        this.lastListed.set(provider.name, models);
        return models;
      },
      () => {
        entry.expires = Date.now() + this.options.listFailureTtlMs;
        return (FALLBACK_MODELS[provider.providerType] ?? []).map((id) => ({ id, kind: 'llm' as const }));
      },
    );
    this.listCache.set(provider.name, entry);
    return entry.models;
  }
}

function isOfficialOpenAi(provider: ProviderSettings): boolean {
  return /^https:\/\/api\.openai\.com\//.test(provider.baseUrl + '/');
}

function isChatModel(provider: ProviderSettings, model: ListedModel): boolean {
  if (model.kind) return model.kind === 'llm';
  if (provider.providerType === 'openai' && isOfficialOpenAi(provider)) return isOpenAiChatModel(model.id);
  return !looksLikeEmbedding(model.id);
}

function positiveInt(env: Env, name: string, allowZero = false): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${raw}"`);
  }
  return n;
}
