/**
 * Which LLM providers are configured, read from an env object (never `process.env` directly,
 * so config validation and tests stay in control). Variable names follow Letta's settings so
 * a Letta user's `.env` keeps working: OPENAI_API_KEY / OPENAI_BASE_URL (or OPENAI_API_BASE),
 * ANTHROPIC_API_KEY, OLLAMA_BASE_URL, GROQ_API_KEY, TOGETHER_API_KEY, VLLM_API_BASE,
 * LMSTUDIO_BASE_URL; plus OPENAI_COMPATIBLE_BASE_URL for any other compatible server.
 */

export type Env = Record<string, string | undefined>;

/** Letta's `provider_type` values for the providers we serve. */
export type ProviderType =
  'openai' | 'anthropic' | 'ollama' | 'groq' | 'together' | 'vllm' | 'lmstudio_openai';

/** Letta's `model_endpoint_type` values we emit. */
export type EndpointType = 'openai' | 'anthropic' | 'ollama' | 'groq' | 'together' | 'vllm';

export interface ProviderSettings {
  /** Handle prefix: `openai` in `openai/gpt-4o-mini`. */
  name: string;
  providerType: ProviderType;
  endpointType: EndpointType;
  /** Which wire protocol (and SDK) the provider speaks. */
  api: 'openai' | 'anthropic';
  baseUrl: string;
  apiKey?: string;
  /** The variable that configures this provider, named in `not_configured` errors. */
  envVar?: string;
}

/** What to set for each provider name we know, used when a handle names an unconfigured one. */
export const PROVIDER_ENV_VARS: Record<string, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  ollama: 'OLLAMA_BASE_URL',
  groq: 'GROQ_API_KEY',
  together: 'TOGETHER_API_KEY',
  vllm: 'VLLM_API_BASE',
  lmstudio_openai: 'LMSTUDIO_BASE_URL',
  'openai-compatible': 'OPENAI_COMPATIBLE_BASE_URL',
};

/** Alternative handle prefixes users type (Letta's LM Studio prefix is `lmstudio_openai`). */
export const PROVIDER_ALIASES: Record<string, string> = {
  lmstudio: 'lmstudio_openai',
  openai_compatible: 'openai-compatible',
};

function value(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const v = env[name]?.trim();
    if (v) return v;
  }
  return undefined;
}

/** Local servers are often configured without the `/v1` their OpenAI API lives under. */
export function withV1(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

export function providersFromEnv(env: Env): ProviderSettings[] {
  const out: ProviderSettings[] = [];
  const openAiKey = value(env, 'OPENAI_API_KEY');
  if (openAiKey) {
    out.push({
      name: 'openai',
      providerType: 'openai',
      endpointType: 'openai',
      api: 'openai',
      baseUrl: value(env, 'OPENAI_BASE_URL', 'OPENAI_API_BASE') ?? 'https://api.openai.com/v1',
      apiKey: openAiKey,
      envVar: 'OPENAI_API_KEY',
    });
  }
  const anthropicKey = value(env, 'ANTHROPIC_API_KEY');
  if (anthropicKey) {
    out.push({
      name: 'anthropic',
      providerType: 'anthropic',
      endpointType: 'anthropic',
      api: 'anthropic',
      baseUrl: value(env, 'ANTHROPIC_BASE_URL') ?? 'https://api.anthropic.com',
      apiKey: anthropicKey,
      envVar: 'ANTHROPIC_API_KEY',
    });
  }
  const ollama = value(env, 'OLLAMA_BASE_URL');
  if (ollama) {
    out.push({
      name: 'ollama',
      providerType: 'ollama',
      endpointType: 'ollama',
      api: 'openai',
      baseUrl: withV1(ollama),
      apiKey: value(env, 'OLLAMA_API_KEY'),
      envVar: 'OLLAMA_BASE_URL',
    });
  }
  const groqKey = value(env, 'GROQ_API_KEY');
  if (groqKey) {
    out.push({
      name: 'groq',
      providerType: 'groq',
      endpointType: 'groq',
      api: 'openai',
      baseUrl: value(env, 'GROQ_BASE_URL') ?? 'https://api.groq.com/openai/v1',
      apiKey: groqKey,
      envVar: 'GROQ_API_KEY',
    });
  }
  const togetherKey = value(env, 'TOGETHER_API_KEY');
  if (togetherKey) {
    out.push({
      name: 'together',
      providerType: 'together',
      endpointType: 'together',
      api: 'openai',
      baseUrl: value(env, 'TOGETHER_BASE_URL') ?? 'https://api.together.xyz/v1',
      apiKey: togetherKey,
      envVar: 'TOGETHER_API_KEY',
    });
  }
  const vllm = value(env, 'VLLM_API_BASE', 'VLLM_BASE_URL');
  if (vllm) {
    out.push({
      // Letta lets vLLM users pick the handle prefix (e.g. `custom/my-model`).
      name: value(env, 'VLLM_HANDLE_BASE') ?? 'vllm',
      providerType: 'vllm',
      endpointType: 'vllm',
      api: 'openai',
      baseUrl: withV1(vllm),
      apiKey: value(env, 'VLLM_API_KEY'),
      envVar: 'VLLM_API_BASE',
    });
  }
  const lmstudio = value(env, 'LMSTUDIO_BASE_URL');
  if (lmstudio) {
    out.push({
      name: 'lmstudio_openai',
      providerType: 'lmstudio_openai',
      endpointType: 'openai',
      api: 'openai',
      baseUrl: withV1(lmstudio),
      envVar: 'LMSTUDIO_BASE_URL',
    });
  }
  const compatible = value(env, 'OPENAI_COMPATIBLE_BASE_URL');
  if (compatible) {
    out.push({
      name: value(env, 'OPENAI_COMPATIBLE_PROVIDER_NAME') ?? 'openai-compatible',
      providerType: 'openai',
      endpointType: 'openai',
      api: 'openai',
      baseUrl: compatible.replace(/\/+$/, ''),
      apiKey: value(env, 'OPENAI_COMPATIBLE_API_KEY'),
      envVar: 'OPENAI_COMPATIBLE_BASE_URL',
    });
  }
  return out;
}
