import type { EmbeddingModel, LlmConfig, Model } from '@letta-ai/letta-client/resources/models/models';
import { FakeAnthropicServer } from '../../../test/support/fake-anthropic';
import { FakeOpenAiServer } from '../../../test/support/fake-openai';
import { AnthropicClient } from './anthropic.client';
import { LettaEmbeddingModel, LettaLlmConfig, LettaModel } from './letta-models';
import { OpenAiCompatibleClient } from './openai-compatible.client';
import { providersFromEnv } from './providers';
import { parseModelHandle, ProviderRegistry } from './registry';
import { LlmError } from './types';

// Our Letta shapes must be assignable to the official client's types.
const _typeChecks: [
  (m: LettaModel) => Model,
  (c: LettaLlmConfig) => LlmConfig,
  (e: LettaEmbeddingModel) => EmbeddingModel,
] = [(m) => m, (c) => c, (e) => e];

function errorOf(fn: () => unknown): LlmError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LlmError);
    return err as LlmError;
  }
  throw new Error('expected an error');
}

describe('parseModelHandle', () => {
  it('splits at the first slash and keeps slashes in the model name', () => {
    expect(parseModelHandle('openai/gpt-4o-mini')).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(parseModelHandle('together/meta-llama/Llama-3.3-70B')).toEqual({
      provider: 'together',
      model: 'meta-llama/Llama-3.3-70B',
    });
    expect(parseModelHandle('lmstudio/qwen2.5')).toEqual({ provider: 'lmstudio_openai', model: 'qwen2.5' });
  });

  it('rejects handles without a provider or a model', () => {
    for (const bad of ['gpt-4o', '/gpt-4o', 'openai/']) {
      expect(errorOf(() => parseModelHandle(bad)).kind).toBe('bad_request');
    }
  });
});

describe('providersFromEnv', () => {
  it('reads Letta variable names and normalises local base URLs', () => {
    const providers = providersFromEnv({
      OPENAI_API_KEY: 'sk-1',
      OPENAI_API_BASE: 'http://proxy/v1',
      OLLAMA_BASE_URL: 'http://localhost:11434',
      VLLM_API_BASE: 'http://gpu:8000/',
      LMSTUDIO_BASE_URL: 'http://localhost:1234/v1',
      GROQ_API_KEY: 'gsk',
      OPENAI_COMPATIBLE_BASE_URL: 'http://gateway/api/v1',
      OPENAI_COMPATIBLE_API_KEY: 'gw',
      ANTHROPIC_API_KEY: ' ',
    });
    const byName = Object.fromEntries(providers.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual([
      'groq',
      'lmstudio_openai',
      'ollama',
      'openai',
      'openai-compatible',
      'vllm',
    ]);
    expect(byName.openai.baseUrl).toBe('http://proxy/v1');
    expect(byName.ollama.baseUrl).toBe('http://localhost:11434/v1');
    expect(byName.vllm.baseUrl).toBe('http://gpu:8000/v1');
    expect(byName.lmstudio_openai.baseUrl).toBe('http://localhost:1234/v1');
    expect(byName.groq.baseUrl).toBe('https://api.groq.com/openai/v1');
    expect(byName['openai-compatible']).toMatchObject({ baseUrl: 'http://gateway/api/v1', apiKey: 'gw' });
  });
});

describe('ProviderRegistry', () => {
  it('says which env var to set for an unconfigured provider', () => {
    const registry = ProviderRegistry.fromEnv({});
    const err = errorOf(() => registry.resolve('anthropic/claude-haiku-4-5'));
    expect(err.kind).toBe('not_configured');
    expect(err.details.envVar).toBe('ANTHROPIC_API_KEY');
    expect(err.message).toContain('set ANTHROPIC_API_KEY');
    expect(errorOf(() => registry.resolve('ollama/llama3.1')).message).toContain('OLLAMA_BASE_URL');
    expect(errorOf(() => registry.llmConfigFor('vllm/qwen')).details.envVar).toBe('VLLM_API_BASE');
    expect(errorOf(() => registry.resolve('nosuch/model')).message).toContain('Unknown provider "nosuch"');
  });

  it('resolves handles to the right client and an LlmConfig from the known-model table', () => {
    const registry = ProviderRegistry.fromEnv({
      OPENAI_API_KEY: 'sk',
      ANTHROPIC_API_KEY: 'sk-ant',
      OLLAMA_BASE_URL: 'http://127.0.0.1:11434',
    });
    const openai = registry.resolve('openai/gpt-4o-mini');
    expect(openai.client).toBeInstanceOf(OpenAiCompatibleClient);
    expect(openai.client.provider).toBe('openai');
    expect(openai).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(openai.llmConfig).toMatchObject({
      handle: 'openai/gpt-4o-mini',
      model: 'gpt-4o-mini',
      model_endpoint_type: 'openai',
      model_endpoint: 'https://api.openai.com/v1',
      provider_name: 'openai',
      provider_category: 'base',
      context_window: 128_000,
    });
    expect(registry.resolve('openai/gpt-4o').client).toBe(openai.client);
    const claude = registry.resolve('anthropic/claude-sonnet-4-5-20250929');
    expect(claude.client).toBeInstanceOf(AnthropicClient);
    expect(claude.llmConfig.context_window).toBe(200_000);
    expect(registry.llmConfigFor('ollama/llama3.1:8b')).toMatchObject({
      model_endpoint_type: 'ollama',
      context_window: 131_072,
    });
    expect(registry.llmConfigFor('ollama/some-unknown-model').context_window).toBe(32_000);
  });

  it('rejects a malformed LLM_TIMEOUT_MS', () => {
    expect(() => ProviderRegistry.fromEnv({ LLM_TIMEOUT_MS: 'soon' })).toThrow(/LLM_TIMEOUT_MS/);
  });

  describe('model lists from the providers', () => {
    let openai: FakeOpenAiServer;
    let anthropic: FakeAnthropicServer;

    beforeAll(async () => {
      openai = await FakeOpenAiServer.start({
        models: [
          { id: 'llama3.1:8b' },
          { id: 'qwen2.5-coder', context_length: 65_536 },
          { id: 'nomic-embed-text:latest' },
          { id: 'mystery-embed' },
        ],
      });
      anthropic = await FakeAnthropicServer.start({
        models: [{ id: 'claude-haiku-4-5', display_name: 'Claude Haiku 4.5', max_input_tokens: 180_000 }],
      });
    });
    afterAll(async () => {
      await openai.close();
      await anthropic.close();
    });

    it('lists chat and embedding models as Letta Model / EmbeddingModel objects, then serves from cache', async () => {
      const registry = ProviderRegistry.fromEnv({
        OLLAMA_BASE_URL: openai.origin,
        ANTHROPIC_API_KEY: 'k',
        ANTHROPIC_BASE_URL: anthropic.baseUrl,
      });
      const models = await registry.listLlmModels();
      expect(models.map((m) => m.handle)).toEqual([
        'anthropic/claude-haiku-4-5',
        'ollama/llama3.1:8b',
        'ollama/qwen2.5-coder',
      ]);
      const qwen = models.find((m) => m.name === 'qwen2.5-coder')!;
      expect(qwen).toMatchObject({
        model: 'qwen2.5-coder',
        model_type: 'llm',
        provider_type: 'ollama',
        provider_name: 'ollama',
        provider_category: 'base',
        model_endpoint_type: 'ollama',
        model_endpoint: openai.baseUrl,
        context_window: 65_536,
        max_context_window: 65_536,
      });
      expect(models[0]).toMatchObject({ display_name: 'Claude Haiku 4.5', context_window: 180_000 });
      // The listed window now feeds the config a new agent stores.
      expect(registry.llmConfigFor('ollama/qwen2.5-coder').context_window).toBe(65_536);

      const embeddings = await registry.listEmbeddingModels();
      expect(embeddings).toEqual([
        expect.objectContaining({
          handle: 'ollama/nomic-embed-text:latest',
          embedding_dim: 768,
          model_type: 'embedding',
          embedding_endpoint_type: 'ollama',
        }),
      ]);
      const before = openai.requests.length;
      await registry.listLlmModels();
      expect(openai.requests.length).toBe(before);
    });

    it('falls back quickly when a provider cannot be reached', async () => {
      const registry = ProviderRegistry.fromEnv(
        {
          OPENAI_API_KEY: 'sk',
          OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
          VLLM_API_BASE: 'http://127.0.0.1:9',
        },
        { listTimeoutMs: 500 },
      );
      const started = Date.now();
      const models = await registry.listLlmModels();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(models.map((m) => m.handle)).toContain('openai/gpt-4o-mini');
      expect(models.some((m) => m.provider_name === 'vllm')).toBe(false);
    });

    it('routes completions through an explicitly registered provider', async () => {
      const registry = new ProviderRegistry().register({
        name: 'fake',
        providerType: 'openai',
        endpointType: 'openai',
        api: 'openai',
        baseUrl: openai.baseUrl,
      });
      openai.enqueue({ content: 'from the fake' });
      const { client, model } = registry.resolve('fake/gpt-4o-mini');
      const res = await client.complete({ model, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.content).toBe('from the fake');
      expect(openai.lastRequest!.body.model).toBe('gpt-4o-mini');
    });
  });
});
