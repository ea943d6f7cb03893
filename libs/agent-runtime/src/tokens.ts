/**
 * Token estimates for context-window budgeting, on `@engram/llm`'s bounded counter (exact
 * tiktoken o200k_base up to a few thousand characters per text, a sampled estimate beyond; see
 * libs/llm/src/tokens.ts for the error measured). One text costs at most a few milliseconds;
 * whole requests are counted cooperatively, giving the event loop back between messages.
 */
import { countTokens } from '@engram/llm/tokens';
import type { LlmMessage, LlmToolDefinition } from '@engram/llm/types';
import type { AgentMessage } from './messages';
import { toLlmMessages } from './message-input';

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

/**
 * Counts kept per object: stored messages and tool definitions are never changed in place (an
 * edit makes a new object), so a step counts only what is new since the last one — the context
 * cache hands the next run the same message objects.
 */
const storedTokens = new WeakMap<AgentMessage, number>();
const toolTokens = new WeakMap<LlmToolDefinition, number>();

/** Tokens of a stored message as the LLM is sent it (`toLlmMessages`), counted once per object. */
export function storedMessageTokens(m: AgentMessage): number {
  let n = storedTokens.get(m);
  if (n === undefined) {
    n = toLlmMessages([m]).reduce((sum, lm) => sum + countMessageTokens(lm), 0);
    storedTokens.set(m, n);
  }
  return n;
}

export function countToolTokens(tools: LlmToolDefinition[]): number {
  let sum = 0;
  for (const t of tools) {
    let n = toolTokens.get(t);
    if (n === undefined) {
      n = countTokens(JSON.stringify(t)) + 4;
      toolTokens.set(t, n);
    }
    sum += n;
  }
  return sum;
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

/**
 * Estimated prompt tokens of the request `toLlmMessages(messages, systemPrompt)` would make, the
 * same figure as `estimateRequestTokens` on it: that conversion maps each message on its own,
 * except that the system prompt takes the first message's place when that is the system one
 * (or goes first otherwise).
 */
export async function estimateContextTokens(
  messages: AgentMessage[],
  systemPrompt: string | undefined,
  tools: LlmToolDefinition[] = [],
): Promise<number> {
  const replaced = systemPrompt !== undefined && messages[0]?.role === 'system';
  const perMessage = await countEach(messages, (m, i) => (i === 0 && replaced ? 0 : storedMessageTokens(m)));
  const system =
    systemPrompt === undefined ? 0 : countMessageTokens({ role: 'system', content: systemPrompt });
  return perMessage.reduce((sum, n) => sum + n, 3 + system) + countToolTokens(tools);
}

/** Estimated prompt tokens of a whole request. */
export async function estimateRequestTokens(
  messages: LlmMessage[],
  tools: LlmToolDefinition[] = [],
): Promise<number> {
  const perMessage = await countEach(messages, (m) => countMessageTokens(m));
  return perMessage.reduce((sum, n) => sum + n, 3) + countToolTokens(tools);
}
