/**
 * Token estimates for context-window budgeting, on `@engram/llm`'s bounded counter (exact
 * tiktoken o200k_base up to a few thousand characters per text, a sampled estimate beyond; see
 * libs/llm/src/tokens.ts for the error measured). One text costs at most a few milliseconds;
 * whole requests are counted cooperatively, giving the event loop back between messages.
 */
import { countTokens } from '@engram/llm/tokens';
import type { LlmMessage, LlmToolDefinition } from '@engram/llm/types';

export { countTokens };

/** Per-message framing overhead of chat formats (role markers etc.). */
const MESSAGE_OVERHEAD = 4;
/** Counting a long context yields to the event loop after this much work. */
const SLICE_MS = 8;

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

/**
 * Tokens of each item, counted in slices of at most `SLICE_MS` with the event loop free in
 * between, so a long context counted with a cold cache never holds other requests up.
 */
export async function countEach<T>(items: T[], count: (item: T, index: number) => number): Promise<number[]> {
  const out = new Array<number>(items.length);
  let sliceStart = performance.now();
  for (let i = 0; i < items.length; i++) {
    out[i] = count(items[i], i);
    if (performance.now() - sliceStart > SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  return out;
}

/** Estimated prompt tokens of a whole request. */
export async function estimateRequestTokens(
  messages: LlmMessage[],
  tools: LlmToolDefinition[] = [],
): Promise<number> {
  const perMessage = await countEach(messages, (m) => countMessageTokens(m));
  return perMessage.reduce((sum, n) => sum + n, 3) + countToolTokens(tools);
}
