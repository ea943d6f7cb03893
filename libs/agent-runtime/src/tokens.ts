/** Token estimates with js-tiktoken (o200k_base ranks ship in the package, nothing is downloaded). */
import type { LlmMessage, LlmToolDefinition } from '@engram/llm/types';
import { getEncoding, type Tiktoken } from 'js-tiktoken';

let encoder: Tiktoken | null = null;
const cache = new Map<string, number>();
const CACHE_MAX = 10_000;

export function countTokens(text: string): number {
  if (!text) return 0;
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  encoder ??= getEncoding('o200k_base');
  const n = encoder.encode(text).length;
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(text, n);
  return n;
}

/** Per-message framing overhead of chat formats (role markers etc.). */
const MESSAGE_OVERHEAD = 4;

export function countMessageTokens(m: LlmMessage): number {
  let n = MESSAGE_OVERHEAD;
  if (m.role === 'assistant') {
    n += countTokens(m.content ?? '') + countTokens(m.reasoning ?? '');
    for (const c of m.toolCalls ?? []) n += countTokens(c.name) + countTokens(c.arguments) + 3;
  } else {
    n += countTokens(m.content);
  }
  return n;
}

export function countToolTokens(tools: LlmToolDefinition[]): number {
  return tools.reduce((sum, t) => sum + countTokens(JSON.stringify(t)) + 4, 0);
}

/** Estimated prompt tokens of a whole request. */
export function estimateRequestTokens(messages: LlmMessage[], tools: LlmToolDefinition[] = []): number {
  return messages.reduce((sum, m) => sum + countMessageTokens(m), 3) + countToolTokens(tools);
}
