/**
 * Letta request input (MessageCreate / ApprovalCreate) → stored messages, and stored messages →
 * provider-neutral LlmMessage[] for the LLM call.
 */
import type { LlmMessage } from '@engram/llm/types';
import type { MessageCreate } from '@letta-ai/letta-client/resources/agents/agents';
import type { ApprovalCreate } from '@letta-ai/letta-client/resources/agents/messages';
import { AgentMessage, MessageContentPart, reasoningOf, StoredApproval, textOf } from './messages';
import type { Clock, IdGenerator } from './ports';

export type MessageInput = MessageCreate | ApprovalCreate;

export interface InputContext {
  ids: IdGenerator;
  clock: Clock;
  runId?: string;
}

export function isApprovalInput(input: MessageInput): input is ApprovalCreate {
  return (input as ApprovalCreate).type === 'approval' || 'approvals' in input || 'approve' in input;
}

function toParts(content: MessageCreate['content']): MessageContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const parts: MessageContentPart[] = [];
  for (const p of content) {
    const part = p as { type?: string } & Record<string, unknown>;
    switch (part.type ?? 'text') {
      case 'text':
        parts.push({ type: 'text', text: String(part.text ?? '') });
        break;
      case 'image':
        parts.push({ type: 'image', source: (part.source ?? {}) as Record<string, unknown> });
        break;
      case 'reasoning':
        parts.push({
          type: 'reasoning',
          reasoning: String(part.reasoning ?? ''),
          isNative: Boolean(part.is_native),
          signature: (part.signature as string) ?? null,
        });
        break;
      case 'redacted_reasoning':
        parts.push({ type: 'redacted_reasoning', data: String(part.data ?? '') });
        break;
      case 'omitted_reasoning':
        parts.push({ type: 'omitted_reasoning' });
        break;
      default:
        break;
    }
  }
  return parts;
}

/** Convert request input messages to stored messages (ids and timestamps assigned here). */
export function fromLettaInput(inputs: MessageInput[], ctx: InputContext): AgentMessage[] {
  return inputs.map((input) => {
    const base = {
      id: ctx.ids.next('message'),
      createdAt: ctx.clock.now(),
      runId: ctx.runId ?? null,
      otid: input.otid ?? null,
    };
    if (isApprovalInput(input)) {
      let approvals: StoredApproval[] = (input.approvals ?? []).map((a) =>
        a.type === 'tool' || 'tool_return' in a
          ? {
              type: 'tool' as const,
              toolCallId: a.tool_call_id,
              status: (a as { status: 'success' | 'error' }).status,
              toolReturn:
                typeof (a as { tool_return: unknown }).tool_return === 'string'
                  ? (a as { tool_return: string }).tool_return
                  : JSON.stringify((a as { tool_return: unknown }).tool_return),
              stdout: (a as { stdout?: string[] | null }).stdout ?? null,
              stderr: (a as { stderr?: string[] | null }).stderr ?? null,
            }
          : {
              type: 'approval' as const,
              toolCallId: a.tool_call_id,
              approve: (a as { approve: boolean }).approve,
              reason: (a as { reason?: string | null }).reason ?? null,
            },
      );
      if (!approvals.length && input.approve !== undefined && input.approve !== null) {
        approvals = [
          {
            type: 'approval',
            toolCallId: input.approval_request_id ?? '',
            approve: input.approve,
            reason: input.reason ?? null,
          },
        ];
      }
      return { ...base, role: 'approval' as const, content: [], approvals };
    }
    return {
      ...base,
      role: input.role,
      content: toParts(input.content),
      name: input.name ?? null,
      senderId: input.sender_id ?? null,
    };
  });
}

/**
 * Stored messages → LLM messages. The first system message is replaced by `systemPrompt` (the
 * freshly compiled one). Approval responses carry nothing for the model and are skipped.
 */
export function toLlmMessages(messages: AgentMessage[], systemPrompt?: string): LlmMessage[] {
  const out: LlmMessage[] = [];
  let systemDone = systemPrompt === undefined;
  if (!systemDone && messages[0]?.role !== 'system') {
    out.push({ role: 'system', content: systemPrompt as string });
    systemDone = true;
  }
  for (const m of messages) {
    if (m.role === 'system' && !systemDone) {
      out.push({ role: 'system', content: systemPrompt as string });
      systemDone = true;
    } else out.push(...llmMessagesOf(m));
  }
  return out;
}

/**
 * What one stored message is sent as, converted once per object: stored messages are never
 * changed in place (an edit makes a new object), and the context cache hands every step of an
 * agent the same objects, so a step converts only the messages that are new since the last one.
 * The result is shared: callers must not change it.
 */
const converted = new WeakMap<AgentMessage, readonly LlmMessage[]>();

function llmMessagesOf(m: AgentMessage): readonly LlmMessage[] {
  let out = converted.get(m);
  if (out === undefined) {
    out = convert(m);
    converted.set(m, out);
  }
  return out;
}

function convert(m: AgentMessage): LlmMessage[] {
  switch (m.role) {
    case 'system':
      return [{ role: 'system', content: textOf(m) }];
    case 'user':
    case 'summary':
      return [
        m.name ? { role: 'user', content: textOf(m), name: m.name } : { role: 'user', content: textOf(m) },
      ];
    case 'assistant':
    case 'approval': {
      if (m.role === 'approval' && !m.toolCalls?.length) return [];
      const text = textOf(m);
      const reasoning = reasoningOf(m);
      return [
        {
          role: 'assistant',
          content: text || null,
          ...(m.toolCalls?.length
            ? { toolCalls: m.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) }
            : {}),
          ...(reasoning ? { reasoning } : {}),
        },
      ];
    }
    case 'tool': {
      const returns = m.toolReturns?.length
        ? m.toolReturns
        : [{ toolCallId: m.toolCallId ?? '', funcResponse: textOf(m) }];
      return returns.map((r) => ({
        role: 'tool',
        toolCallId: r.toolCallId,
        name: m.name ?? '',
        content: r.funcResponse,
      }));
    }
  }
  return [];
}
