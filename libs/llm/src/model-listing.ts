/**
 * Asks a provider which models it serves, through its SDK, with a short timeout and no
 * retries (a model list is a nicety; a dead provider must not stall `/v1/models`).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ListedModel } from './letta-models';
import { ProviderSettings } from './providers';

export async function fetchProviderModels(
  provider: ProviderSettings,
  timeoutMs: number,
): Promise<ListedModel[]> {
  if (provider.api === 'anthropic') return fetchAnthropicModels(provider, timeoutMs);
  return fetchOpenAiCompatibleModels(provider, timeoutMs);
}

async function fetchOpenAiCompatibleModels(
  provider: ProviderSettings,
  timeoutMs: number,
): Promise<ListedModel[]> {
  const sdk = new OpenAI({
    apiKey: provider.apiKey || 'not-needed',
    baseURL: provider.baseUrl,
    timeout: timeoutMs,
    maxRetries: 0,
  });
  // Read the raw body: Together answers with a bare array rather than `{ data: [...] }`,
  // and the extra per-model fields (context sizes) are what we are after.
  const body = await sdk.get<unknown>('/models');
  const entries = Array.isArray(body) ? body : ((body as { data?: unknown[] } | null)?.data ?? []);
  const out: ListedModel[] = [];
  for (const entry of entries) {
    const e = entry as Record<string, unknown>;
    if (typeof e?.id !== 'string') continue;
    out.push({
      id: e.id,
      contextWindow: firstNumber(e, [
        'context_window',
        'context_length',
        'max_model_len',
        'max_context_length',
      ]),
      maxOutputTokens: firstNumber(e, ['max_completion_tokens', 'max_output_tokens']),
      kind: kindOf(e.type),
    });
  }
  return out;
}

async function fetchAnthropicModels(provider: ProviderSettings, timeoutMs: number): Promise<ListedModel[]> {
  const sdk = new Anthropic({
    apiKey: provider.apiKey ?? null,
    baseURL: provider.baseUrl.replace(/\/v1\/?$/, ''),
    timeout: timeoutMs,
    maxRetries: 0,
  });
  const page = await sdk.models.list({ limit: 100 });
  return page.data.map((m) => {
    const e = m as unknown as Record<string, unknown>;
    return {
      id: m.id,
      displayName: m.display_name,
      contextWindow: firstNumber(e, ['max_input_tokens', 'context_window']),
      maxOutputTokens: firstNumber(e, ['max_tokens', 'max_output_tokens']),
      kind: 'llm' as const,
    };
  });
}

function firstNumber(entry: Record<string, unknown>, keys: string[]): number | undefined {
  for (const key of keys) {
    const v = entry[key];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  }
  return undefined;
}

/** Together and some gateways tag each model (`chat`, `language`, `embedding`, `image`, ...). */
function kindOf(type: unknown): ListedModel['kind'] {
  if (typeof type !== 'string') return undefined;
  if (type === 'chat' || type === 'language' || type === 'llm') return 'llm';
  if (type === 'embedding' || type === 'embeddings') return 'embedding';
  return type === 'model' ? undefined : 'other';
}
