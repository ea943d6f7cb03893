/** One LLM call of a step: complete() or stream() with Letta delta chunks sent to the event sink. */
import type { LlmClient, LlmRequest, LlmResponse } from '@engram/llm/types';
import { otidFor } from './messages';
import type { EventSink } from './ports';

export interface LlmCallContext {
  llm: LlmClient;
  events?: EventSink;
  streamTokens: boolean;
  /** Pre-computed id of the assistant message this response becomes (deltas carry it). */
  assistantMessageId: string;
  runId?: string;
  stepId: string;
  date: Date;
  /** letta_v1: content deltas are assistant_message; memgpt: they are inner thoughts (reasoning). */
  textIsAssistantMessage: boolean;
  /** Tool whose calls are shown as assistant_message (not streamed as tool_call deltas). */
  hiddenToolName?: string;
}

export interface LlmCallResult {
  response: LlmResponse;
  /** Wire message types already streamed for the assistant message (not to be re-sent). */
  streamed: Set<string>;
}

export async function callLlm(request: LlmRequest, ctx: LlmCallContext): Promise<LlmCallResult> {
  const streamed = new Set<string>();
  if (!ctx.streamTokens || !ctx.events) return { response: await ctx.llm.complete(request), streamed };

  // The fields every Letta message carries (a delta has them like the message it builds).
  const base = {
    id: ctx.assistantMessageId,
    date: ctx.date.toISOString(),
    name: null,
    sender_id: null,
    is_err: null,
    run_id: ctx.runId ?? null,
    step_id: ctx.stepId,
  };
  let sawReasoning = false;
  const callNames = new Map<number, string>();
  for await (const ev of ctx.llm.stream(request)) {
    switch (ev.type) {
      case 'reasoning_delta':
        sawReasoning = true;
        streamed.add('reasoning_message');
        await ctx.events.emit({
          ...base,
          otid: otidFor(base.id, 0),
          message_type: 'reasoning_message',
          reasoning: ev.delta,
          source: 'reasoner_model',
        });
        break;
      case 'content_delta': {
        const otid = otidFor(base.id, sawReasoning ? 1 : 0);
        if (ctx.textIsAssistantMessage) {
          streamed.add('assistant_message');
          await ctx.events.emit({ ...base, otid, message_type: 'assistant_message', content: ev.delta });
        } else {
          streamed.add('reasoning_message');
          await ctx.events.emit({
            ...base,
            otid,
            message_type: 'reasoning_message',
            reasoning: ev.delta,
            source: 'non_reasoner_model',
          });
        }
        break;
      }
      case 'tool_call_delta': {
        if (ev.name) callNames.set(ev.index, ev.name);
        if (callNames.get(ev.index) === ctx.hiddenToolName) break;
        streamed.add('tool_call_message');
        await ctx.events.emit({
          ...base,
          otid: otidFor(base.id, 100 + ev.index),
          message_type: 'tool_call_message',
          tool_call: {
            tool_call_id: ev.id ?? null,
            name: ev.name ?? null,
            arguments: ev.argumentsDelta ?? null,
          },
        });
        break;
      }
      case 'done':
        return { response: ev.response, streamed };
    }
  }
  throw new Error('LLM stream ended without a final response.');
}
