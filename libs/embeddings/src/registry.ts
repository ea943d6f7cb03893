import { OPENAI_EMBEDDING_MODELS } from './known-models';
import { LOCAL_EMBEDDING_HANDLE, LOCAL_EMBEDDING_MODEL, LocalEmbedder } from './local-embedder';
import { DEFAULT_EMBEDDING_BATCH_SIZE, OpenAiEmbedder } from './openai-embedder';
import { EmbeddingClient, EmbeddingError, LettaEmbeddingConfig } from './types';

/** The environment variables the registry reads. */
export interface EmbeddingEnv {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OLLAMA_BASE_URL?: string;
  ENGRAM_DEFAULT_EMBEDDING?: string;
  /** Texts per request to remote providers (default 96). */
  ENGRAM_EMBEDDING_BATCH_SIZE?: string;
  [name: string]: string | undefined;
}

/** Letta's default chunk size (tokens-ish words per passage) for file ingestion. */
export const DEFAULT_EMBEDDING_CHUNK_SIZE = 300;
const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

interface RemoteProvider {
  baseURL: string;
  apiKey: string;
  endpointType: 'openai' | 'ollama';
}

/** Splits `provider/model`; the model may contain slashes itself. */
export function parseEmbeddingHandle(handle: string): { provider: string; model: string } {
  const slash = handle.indexOf('/');
  if (slash <= 0 || slash === handle.length - 1) {
    throw new EmbeddingError(
      'bad_handle',
      `Invalid embedding handle "${handle}": expected "provider/model", e.g. "${LOCAL_EMBEDDING_HANDLE}"`,
    );
  }
  return { provider: handle.slice(0, slash).trim().toLowerCase(), model: handle.slice(slash + 1).trim() };
}

/**
 * Which embedding models this server can use, and a client for each. `local/…` is always there;
 * `openai/<model>` needs OPENAI_API_KEY (OPENAI_BASE_URL points it at any compatible server);
 * `ollama/<model>` needs OLLAMA_BASE_URL.
 */
export class EmbeddingRegistry {
  private readonly clients = new Map<string, EmbeddingClient>();
  private readonly local = new LocalEmbedder();

  private constructor(
    private readonly providers: Map<string, RemoteProvider>,
    private readonly defaultEmbedding: string,
    private readonly batchSize: number,
  ) {
    this.clients.set(LOCAL_EMBEDDING_HANDLE, this.local);
  }

  /** Fails at once (naming the variable) on a bad batch size or an unusable default handle. */
  static fromEnv(env: EmbeddingEnv = process.env): EmbeddingRegistry {
    const providers = new Map<string, RemoteProvider>();
    const openAiKey = env.OPENAI_API_KEY?.trim();
    if (openAiKey) {
      providers.set('openai', {
        baseURL: env.OPENAI_BASE_URL?.trim() || OPENAI_DEFAULT_BASE_URL,
        apiKey: openAiKey,
        endpointType: 'openai',
      });
    }
    const ollama = env.OLLAMA_BASE_URL?.trim();
    if (ollama) {
      // Ollama's OpenAI-compatible API lives under /v1 of its base URL.
      const root = ollama.replace(/\/+$/, '');
      providers.set('ollama', {
        baseURL: root.endsWith('/v1') ? root : `${root}/v1`,
        apiKey: 'ollama',
        endpointType: 'ollama',
      });
    }
    let batchSize = DEFAULT_EMBEDDING_BATCH_SIZE;
    if (env.ENGRAM_EMBEDDING_BATCH_SIZE !== undefined && env.ENGRAM_EMBEDDING_BATCH_SIZE !== '') {
      batchSize = Number(env.ENGRAM_EMBEDDING_BATCH_SIZE);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 2048) {
        throw new EmbeddingError(
          'bad_config',
          'ENGRAM_EMBEDDING_BATCH_SIZE must be an integer from 1 to 2048',
        );
      }
    }
    const registry = new EmbeddingRegistry(
      providers,
      env.ENGRAM_DEFAULT_EMBEDDING?.trim() || LOCAL_EMBEDDING_HANDLE,
      batchSize,
    );
    try {
      registry.resolve(registry.defaultHandle());
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new EmbeddingError('not_configured', `ENGRAM_DEFAULT_EMBEDDING: ${detail}`, { cause: err });
    }
    return registry;
  }

  /** The handle new agents and archives get when they name none. */
  defaultHandle(): string {
    return this.defaultEmbedding;
  }

  /** Handles we can vouch for without asking a server: the local one and OpenAI's models. */
  handles(): string[] {
    const out = [LOCAL_EMBEDDING_HANDLE];
    if (this.providers.has('openai')) out.push(...OPENAI_EMBEDDING_MODELS.map((m) => `openai/${m}`));
    return out;
  }

  isConfigured(handle: string): boolean {
    try {
      this.resolve(handle);
      return true;
    } catch {
      return false;
    }
  }

  /** The client for `handle`, made once; throws EmbeddingError saying what to configure. */
  resolve(handle: string): EmbeddingClient {
    const cached = this.clients.get(handle);
    if (cached) return cached;
    const { provider, model } = parseEmbeddingHandle(handle);
    if (provider === 'local') {
      throw new EmbeddingError(
        'bad_handle',
        `Unknown local embedding model "${model}": the local embedder is "${LOCAL_EMBEDDING_HANDLE}"`,
      );
    }
    if (provider !== 'openai' && provider !== 'ollama') {
      throw new EmbeddingError(
        'bad_handle',
        `Unknown embedding provider "${provider}" in "${handle}": use local/…, openai/… (any OpenAI-compatible server) or ollama/…`,
      );
    }
    const settings = this.providers.get(provider);
    if (!settings) {
      const hint =
        provider === 'openai'
          ? 'set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server)'
          : 'set OLLAMA_BASE_URL (e.g. http://localhost:11434)';
      throw new EmbeddingError('not_configured', `Embedding model "${handle}" is not configured: ${hint}`);
    }
    const client = new OpenAiEmbedder({
      handle: `${provider}/${model}`,
      model,
      baseURL: settings.baseURL,
      apiKey: settings.apiKey,
      batchSize: this.batchSize,
    });
    this.clients.set(handle, client);
    return client;
  }

  /**
   * Letta's `EmbeddingConfig` for `handle`. Async because a remote model whose vector size we do
   * not know is asked once (a one-text request), then remembered.
   */
  async embeddingConfigFor(handle: string): Promise<LettaEmbeddingConfig> {
    const client = this.resolve(handle);
    const { provider, model } = parseEmbeddingHandle(client.handle);
    if (client instanceof OpenAiEmbedder) {
      return {
        embedding_endpoint_type: this.providers.get(provider)!.endpointType,
        embedding_model: model,
        embedding_dim: await client.probeDimensions(),
        embedding_chunk_size: DEFAULT_EMBEDDING_CHUNK_SIZE,
        handle: client.handle,
        batch_size: client.batchSize,
        embedding_endpoint: client.baseURL,
      };
    }
    return {
      // Letta has no "local" endpoint type; hugging-face with no endpoint is its local-model shape.
      embedding_endpoint_type: 'hugging-face',
      embedding_model: LOCAL_EMBEDDING_MODEL,
      embedding_dim: this.local.dimensions,
      embedding_chunk_size: DEFAULT_EMBEDDING_CHUNK_SIZE,
      handle: LOCAL_EMBEDDING_HANDLE,
      batch_size: 1024,
      embedding_endpoint: null,
    };
  }
}
