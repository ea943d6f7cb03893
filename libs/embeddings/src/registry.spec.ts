import { LOCAL_EMBEDDING_DIM, LOCAL_EMBEDDING_HANDLE, LocalEmbedder } from './local-embedder';
import { OpenAiEmbedder } from './openai-embedder';
import { EmbeddingRegistry } from './registry';
import { EmbeddingError } from './types';

const errorOf = (fn: () => unknown): EmbeddingError => {
  try {
    fn();
  } catch (err) {
    return err as EmbeddingError;
  }
  throw new Error('expected a throw');
};

describe('EmbeddingRegistry', () => {
  it('always has the local embedder, and it is the default', async () => {
    const registry = EmbeddingRegistry.fromEnv({});
    expect(registry.defaultHandle()).toBe(LOCAL_EMBEDDING_HANDLE);
    expect(registry.resolve(LOCAL_EMBEDDING_HANDLE)).toBeInstanceOf(LocalEmbedder);
    expect(registry.handles()).toEqual([LOCAL_EMBEDDING_HANDLE]);
    await expect(registry.embeddingConfigFor(LOCAL_EMBEDDING_HANDLE)).resolves.toEqual({
      embedding_endpoint_type: 'hugging-face',
      embedding_model: 'hash-embedding-v1',
      embedding_dim: LOCAL_EMBEDDING_DIM,
      embedding_chunk_size: 300,
      handle: LOCAL_EMBEDDING_HANDLE,
      batch_size: 1024,
      embedding_endpoint: null,
    });
  });

  it('names the env var to set for a provider that is not configured', () => {
    const registry = EmbeddingRegistry.fromEnv({});
    const openai = errorOf(() => registry.resolve('openai/text-embedding-3-small'));
    expect(openai).toBeInstanceOf(EmbeddingError);
    expect(openai.code).toBe('not_configured');
    expect(openai.message).toContain('OPENAI_API_KEY');
    expect(errorOf(() => registry.resolve('ollama/nomic-embed-text')).message).toContain('OLLAMA_BASE_URL');
    expect(errorOf(() => registry.resolve('cohere/embed-v3')).code).toBe('bad_handle');
    expect(errorOf(() => registry.resolve('no-slash')).code).toBe('bad_handle');
    expect(registry.isConfigured('openai/text-embedding-3-small')).toBe(false);
  });

  it('builds OpenAI and Ollama embedders from the env, with Letta configs', async () => {
    const registry = EmbeddingRegistry.fromEnv({
      OPENAI_API_KEY: 'sk-x',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1/',
      OLLAMA_BASE_URL: 'http://127.0.0.1:11434',
      ENGRAM_DEFAULT_EMBEDDING: 'openai/text-embedding-3-small',
      ENGRAM_EMBEDDING_BATCH_SIZE: '32',
    });
    expect(registry.defaultHandle()).toBe('openai/text-embedding-3-small');
    const client = registry.resolve('openai/text-embedding-3-small');
    expect(client).toBeInstanceOf(OpenAiEmbedder);
    expect(registry.resolve('openai/text-embedding-3-small')).toBe(client); // made once
    expect(registry.handles()).toContain('openai/text-embedding-3-large');
    await expect(registry.embeddingConfigFor('openai/text-embedding-3-small')).resolves.toEqual({
      embedding_endpoint_type: 'openai',
      embedding_model: 'text-embedding-3-small',
      embedding_dim: 1536,
      embedding_chunk_size: 300,
      handle: 'openai/text-embedding-3-small',
      batch_size: 32,
      embedding_endpoint: 'http://127.0.0.1:9/v1',
    });
    const ollama = await registry.embeddingConfigFor('ollama/nomic-embed-text:latest');
    expect(ollama).toMatchObject({
      embedding_endpoint_type: 'ollama',
      embedding_dim: 768,
      embedding_endpoint: 'http://127.0.0.1:11434/v1',
    });
  });

  it('refuses at start-up a default it cannot serve, naming the variables', () => {
    const err = errorOf(() =>
      EmbeddingRegistry.fromEnv({ ENGRAM_DEFAULT_EMBEDDING: 'openai/text-embedding-3-small' }),
    );
    expect(err.message).toContain('ENGRAM_DEFAULT_EMBEDDING');
    expect(err.message).toContain('OPENAI_API_KEY');
    expect(errorOf(() => EmbeddingRegistry.fromEnv({ ENGRAM_EMBEDDING_BATCH_SIZE: '0' })).message).toContain(
      'ENGRAM_EMBEDDING_BATCH_SIZE',
    );
  });
});
