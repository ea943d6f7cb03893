import { runAgent } from './agent-loop';
import type { AgentMessage } from './messages';
import { cutPoints, summarizeAgentContext, summarizeIfNeeded } from './summarizer';
import {
  agentConfig,
  fixedClock,
  harness,
  reply,
  ScriptedLlm,
  sequentialIds,
  systemMessage,
  userInput,
} from './testing/in-memory';
import { countTokens } from './tokens';

const at = new Date('2025-01-01T00:00:00Z');
const filler = 'lorem ipsum dolor sit amet '.repeat(40); // ~240 tokens
let n = 0;
const m = (role: AgentMessage['role'], extra: Partial<AgentMessage> = {}): AgentMessage => ({
  id: `message-${++n}`,
  role,
  content: [{ type: 'text', text: filler }],
  createdAt: at,
  ...extra,
});

/** system, then 6 turns of user → assistant(tool call) → tool → assistant. */
function history(): AgentMessage[] {
  const out = [systemMessage('sys')];
  for (let i = 0; i < 6; i++) {
    const callId = `call-${i}`;
    out.push(
      m('user'),
      m('assistant', { toolCalls: [{ id: callId, name: 'archival_memory_search', arguments: '{}' }] }),
    );
    out.push(
      m('tool', {
        toolCallId: callId,
        name: 'archival_memory_search',
        toolReturns: [{ toolCallId: callId, status: 'success', funcResponse: filler }],
      }),
      m('assistant'),
    );
  }
  return out;
}

describe('summarizer', () => {
  it('counts tokens with tiktoken', () => {
    expect(countTokens('hello world')).toBe(2);
  });

  it('cut points never fall between a tool call and its return', () => {
    const h = history();
    const { turnStarts, balanced } = cutPoints(h);
    expect(turnStarts.every((c) => h[c].role === 'user')).toBe(true);
    expect(balanced.some((c) => h[c].role === 'tool')).toBe(false);
    expect(balanced.some((c) => h[c - 1].toolCalls?.length)).toBe(false);
  });

  it('does nothing under budget', async () => {
    const llm = new ScriptedLlm([]);
    const r = await summarizeIfNeeded({
      inContext: history(),
      systemPrompt: 'sys',
      tools: [],
      llm,
      model: 'm',
      contextWindow: 100_000,
      ids: sequentialIds(),
      clock: fixedClock,
    });
    expect(r.summarized).toBe(false);
    expect(llm.requests).toHaveLength(0);
  });

  it('over budget: summarizes the oldest turns, keeps pairs together, puts the summary after the system message', async () => {
    const h = history();
    const llm = new ScriptedLlm([reply('They talked about lorem ipsum.')]);
    const r = await summarizeIfNeeded({
      inContext: h,
      systemPrompt: 'sys',
      tools: [],
      llm,
      model: 'm',
      contextWindow: 5000,
      ids: sequentialIds(),
      clock: fixedClock,
    });
    if (!r.summarized) throw new Error('expected a summary');
    expect(r.compaction.tokensBefore).toBeGreaterThan(5000 * 0.9);
    expect(r.inContext[0]).toBe(h[0]);
    expect(r.inContext[1]).toBe(r.summaryMessage);
    expect(r.inContext[2].role).toBe('user');
    expect(r.summaryMessage.role).toBe('summary');
    expect(JSON.parse((r.summaryMessage.content[0] as { text: string }).text)).toMatchObject({
      type: 'system_alert',
    });
    expect((r.summaryMessage.content[0] as { text: string }).text).toContain(
      'They talked about lorem ipsum.',
    );
    expect(r.tokens).toBeLessThan(5000 * 0.9);
    const kept = r.inContext.slice(2);
    expect(r.compaction.evictedMessageIds).toEqual(h.slice(1, h.length - kept.length).map((x) => x.id));
    // every kept tool return has its call kept too
    const keptCalls = new Set(kept.flatMap((x) => x.toolCalls?.map((c) => c.id) ?? []));
    expect(kept.filter((x) => x.role === 'tool').every((x) => keptCalls.has(x.toolCallId!))).toBe(true);
    expect(llm.requests[0].messages[1].content).toContain('Conversation to summarize');
  });

  it('summarizeAgentContext persists through persistCompaction', async () => {
    const h = history();
    const saved: unknown[] = [];
    const r = await summarizeAgentContext({
      agentId: 'agent-1',
      store: { persistStep: async () => undefined, persistCompaction: async (x) => void saved.push(x) },
      inContext: h,
      systemPrompt: 'sys',
      tools: [],
      llm: new ScriptedLlm([reply('sum')]),
      model: 'm',
      contextWindow: 100_000,
      ids: sequentialIds(),
      clock: fixedClock,
    });
    expect(r.summarized).toBe(true);
    expect(saved).toHaveLength(1);
    expect((saved[0] as { inContextMessageIds: string[] }).inContextMessageIds[0]).toBe(h[0].id);
  });

  it('in the loop: the summary is persisted with the step and is in the new context', async () => {
    const h = history();
    const hh = harness([reply('summary text'), reply('answer')]);
    const res = await runAgent(
      {
        agent: agentConfig('letta_v1_agent', { contextWindow: 6000 }),
        inContextMessages: h,
        input: userInput('next'),
      },
      hh.ports,
    );
    expect(res.stopReason).toBe('end_turn');
    expect(hh.store.steps).toHaveLength(1);
    const step = hh.store.steps[0];
    expect(step.compaction).toBeDefined();
    const summary = step.messages.find((x) => x.role === 'summary')!;
    expect(step.inContextMessageIds[0]).toBe(h[0].id);
    expect(step.inContextMessageIds[1]).toBe(summary.id);
    expect(step.inContextMessageIds).not.toContain(h[1].id);
    expect(step.inContextMessageIds.slice(-2)).toEqual([res.messages[0].id, res.messages.at(-1)!.id]);
    // the answering LLM call saw the summary as a user message right after the system prompt
    expect(hh.llm.requests[1].messages[1]).toMatchObject({ role: 'user' });
    expect(hh.llm.requests[1].messages[1].content).toContain('summary text');
  });
});
