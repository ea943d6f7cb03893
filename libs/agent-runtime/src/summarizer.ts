/**
 * Context-window management: when a request would exceed the budget, the oldest in-context
 * messages are summarized by the LLM and replaced (in context only; they stay stored) by one
 * summary message. The cut never separates tool calls from their returns.
 */
import type { LlmClient, LlmToolDefinition } from '@engram/llm/types';
import { AgentMessage, textOf } from './messages';
import { formatLocalTime, packSystemAlert } from './packing';
import type { Clock, CompactionInfo, IdGenerator, MessageStorePort } from './ports';
import { countEach, estimateContextTokens, storedMessageTokens } from './tokens';

export const DEFAULT_SUMMARY_THRESHOLD = 0.9;
/** After a compaction the kept messages should use at most this share of the window. */
export const DEFAULT_KEEP_RATIO = 0.3;

export const SUMMARIZER_PROMPT = [
  'You compress conversation history for an AI agent whose context window is full.',
  'You get the oldest part of its conversation (user messages, its replies, tool calls and their results).',
  "Write a concise summary, from the agent's point of view, that keeps what it will need later: facts learned about the user,",
  'decisions and commitments, open tasks and questions, and the results of tool calls that still matter.',
  'Leave out small talk and anything already obsolete. Plain prose or short bullets, no preamble, under 300 words.',
].join(' ');

export interface SummarizeParams {
  inContext: AgentMessage[];
  systemPrompt: string;
  tools: LlmToolDefinition[];
  llm: LlmClient;
  model: string;
  contextWindow: number;
  ids: IdGenerator;
  clock: Clock;
  timezone?: string | null;
  runId?: string;
  /** Summarize even if under budget (explicit summarize call, or after a context overflow error). */
  force?: boolean;
  threshold?: number;
  keepRatio?: number;
  signal?: AbortSignal;
  trigger?: string;
}

export type SummarizeResult =
  | { summarized: false; tokens: number }
  | {
      summarized: true;
      tokens: number;
      /** The LLM's summary text, as it went into the summary message. */
      summary: string;
      inContext: AgentMessage[];
      summaryMessage: AgentMessage;
      compaction: CompactionInfo;
    };

/**
 * Valid cut points c (1 ≤ c < n): messages[1..c) hold a return for every tool call they make and
 * messages[c] is not a tool return / approval response. Turn starts (user messages) come first.
 */
export function cutPoints(messages: AgentMessage[]): { turnStarts: number[]; balanced: number[] } {
  const turnStarts: number[] = [];
  const balanced: number[] = [];
  const open = new Set<string>();
  for (let c = 1; c < messages.length; c++) {
    const prev = messages[c - 1];
    if (c - 1 >= 1) {
      for (const call of prev.toolCalls ?? [])
        if (prev.role === 'assistant' || prev.role === 'approval') open.add(call.id);
      if (prev.role === 'tool') {
        for (const r of prev.toolReturns ?? []) open.delete(r.toolCallId);
        if (prev.toolCallId) open.delete(prev.toolCallId);
      }
    }
    const m = messages[c];
    if (open.size > 0 || m.role === 'tool' || (m.role === 'approval' && !m.toolCalls?.length)) continue;
    balanced.push(c);
    if (m.role === 'user') turnStarts.push(c);
  }
  return { turnStarts, balanced };
}

function transcript(messages: AgentMessage[], timezone?: string | null): string {
  return messages
    .map((m) => {
      const when = formatLocalTime(m.createdAt, timezone);
      const calls = (m.toolCalls ?? []).map((c) => ` [calls ${c.name}(${c.arguments})]`).join('');
      const body =
        m.role === 'tool'
          ? (m.toolReturns ?? []).map((r) => r.funcResponse).join('\n') || textOf(m)
          : textOf(m);
      return `[${when}] ${m.role}${m.name ? ` (${m.name})` : ''}: ${body}${calls}`;
    })
    .join('\n');
}

/** Summarize the oldest part of the context when over budget (or when forced). */
export async function summarizeIfNeeded(p: SummarizeParams): Promise<SummarizeResult> {
  const threshold = p.threshold ?? DEFAULT_SUMMARY_THRESHOLD;
  const tokens = await estimateContextTokens(p.inContext, p.systemPrompt, p.tools);
  if (!p.force && tokens <= p.contextWindow * threshold) return { summarized: false, tokens };
  const msgs = p.inContext;
  if (msgs.length < 3) return { summarized: false, tokens };

  // Tokens of each stored message (index-aligned) and the fixed cost of system prompt + tools.
  const perMessage = await countEach(msgs, (m, i) => (i === 0 ? 0 : storedMessageTokens(m)));
  const keepBudget = p.contextWindow * (p.keepRatio ?? DEFAULT_KEEP_RATIO);
  const suffix = new Array<number>(msgs.length + 1).fill(0);
  for (let i = msgs.length - 1; i >= 1; i--) suffix[i] = suffix[i + 1] + perMessage[i];

  const { turnStarts, balanced } = cutPoints(msgs);
  const pick = (cands: number[]): number | undefined => cands.find((c) => suffix[c] <= keepBudget && c > 1);
  // Smallest cut that fits the budget, turn starts preferred; otherwise the latest possible cut.
  let cut = pick(turnStarts) ?? pick(balanced);
  if (cut === undefined) cut = turnStarts.filter((c) => c > 1).pop() ?? balanced.filter((c) => c > 1).pop();
  if (cut === undefined) return { summarized: false, tokens };

  const evicted = msgs.slice(1, cut);
  const kept = msgs.slice(cut);
  const response = await p.llm.complete({
    model: p.model,
    messages: [
      { role: 'system', content: SUMMARIZER_PROMPT },
      {
        role: 'user',
        content: `Conversation to summarize (${evicted.length} messages):\n\n${transcript(evicted, p.timezone)}`,
      },
    ],
    signal: p.signal,
  });
  const summary = (response.content ?? '').trim();
  const now = p.clock.now();
  const note =
    `Note: ${evicted.length} earlier message(s) were taken out of view to fit the context window. ` +
    `They are still in recall memory (conversation_search). Summary of them:\n${summary}`;
  const summaryMessage: AgentMessage = {
    id: p.ids.next('message'),
    role: 'summary',
    content: [{ type: 'text', text: packSystemAlert(note, formatLocalTime(now, p.timezone)) }],
    createdAt: now,
    runId: p.runId ?? null,
  };
  const inContext = [msgs[0], summaryMessage, ...kept];
  const tokensAfter = await estimateContextTokens(inContext, p.systemPrompt, p.tools);
  return {
    summarized: true,
    tokens: tokensAfter,
    summary,
    inContext,
    summaryMessage,
    compaction: {
      summaryMessageId: summaryMessage.id,
      evictedMessageIds: evicted.map((m) => m.id),
      messagesCountBefore: msgs.length,
      messagesCountAfter: inContext.length,
      tokensBefore: tokens,
      tokensAfter,
    },
  };
}

/**
 * Stand-alone compaction for `POST /v1/agents/:id/summarize`: always summarizes (when there is
 * anything to cut) and persists the summary message and new in-context ids via the store.
 */
export async function summarizeAgentContext(
  p: Omit<SummarizeParams, 'force'> & { agentId: string; store: MessageStorePort },
): Promise<SummarizeResult> {
  const result = await summarizeIfNeeded({ ...p, force: true });
  if (result.summarized) {
    if (!p.store.persistCompaction)
      throw new Error('MessageStorePort.persistCompaction is required to summarize outside a run.');
    await p.store.persistCompaction({
      agentId: p.agentId,
      summaryMessage: result.summaryMessage,
      inContextMessageIds: result.inContext.map((m) => m.id),
      compaction: result.compaction,
    });
  }
  return result;
}
