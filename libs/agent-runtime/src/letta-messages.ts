/**
 * Stored message → Letta wire messages (`message_type` union of @letta-ai/letta-client), the way
 * Letta's `Message.to_letta_messages` splits one stored message into several wire messages that
 * share its id and get per-part otids.
 */
import type {
  ApprovalRequestMessage,
  ApprovalResponseMessage,
  AssistantMessage,
  HiddenReasoningMessage,
  LettaUserMessageContentUnion,
  Message as LettaMessage,
  ReasoningMessage,
  SummaryMessage,
  SystemMessage,
  ToolCall as LettaToolCall,
  ToolCallMessage,
  ToolReturn as LettaToolReturn,
  UserMessage,
} from '@letta-ai/letta-client/resources/agents/messages';
import type { ToolReturnMessage } from '@letta-ai/letta-client/resources/tools';
import { AgentMessage, otidFor, StoredToolCall, textOf } from './messages';
import { unpackEnvelope, unpackToolResponse } from './packing';

export type { LettaMessage };
type UserContent = LettaUserMessageContentUnion;

export interface LettaMessageOptions {
  /** Turn calls of the assistant message tool (`send_message`) into `assistant_message`. */
  useAssistantMessage: boolean;
  assistantMessageToolName: string;
  assistantMessageToolKwarg: string;
  /** letta_v1 agents: assistant text is the reply (`assistant_message`), not inner thoughts. */
  textIsAssistantMessage?: boolean;
  /** Emit summaries as `summary_message` instead of Letta's default `user_message`. */
  summaryAsSummaryMessage?: boolean;
}

export const DEFAULT_LETTA_MESSAGE_OPTIONS: LettaMessageOptions = {
  useAssistantMessage: true,
  assistantMessageToolName: 'send_message',
  assistantMessageToolKwarg: 'message',
};

interface Common {
  id: string;
  date: string;
  name: string | null;
  otid: string | null;
  sender_id: string | null;
  step_id: string | null;
  run_id: string | null;
  is_err: boolean | null;
}

function common(msg: AgentMessage, otid: string | null): Common {
  return {
    id: msg.id,
    date: msg.createdAt.toISOString(),
    name: msg.name ?? null,
    otid,
    sender_id: msg.senderId ?? null,
    step_id: msg.stepId ?? null,
    run_id: msg.runId ?? null,
    is_err: msg.isErr ?? null,
  };
}

const wireCall = (c: StoredToolCall): LettaToolCall => ({
  name: c.name,
  arguments: c.arguments,
  tool_call_id: c.id,
});

function contentParts(msg: AgentMessage, opts: LettaMessageOptions): LettaMessage[] {
  const out: LettaMessage[] = [];
  for (const part of msg.content) {
    const base = common(msg, otidFor(msg.id, out.length));
    const last = out[out.length - 1];
    if (part.type === 'text') {
      if (opts.textIsAssistantMessage) {
        if (last?.message_type === 'assistant_message' && typeof last.content === 'string')
          last.content += part.text;
        else
          out.push({
            ...base,
            message_type: 'assistant_message',
            content: part.text,
          } satisfies AssistantMessage);
      } else {
        out.push({
          ...base,
          message_type: 'reasoning_message',
          reasoning: part.text,
          source: 'non_reasoner_model',
        } satisfies ReasoningMessage);
      }
    } else if (part.type === 'reasoning') {
      if (last?.message_type === 'reasoning_message') last.reasoning += part.reasoning;
      else
        out.push({
          ...base,
          message_type: 'reasoning_message',
          reasoning: part.reasoning,
          source: part.isNative === false ? 'non_reasoner_model' : 'reasoner_model',
          signature: part.signature ?? null,
        } satisfies ReasoningMessage);
    } else if (part.type === 'redacted_reasoning') {
      out.push({
        ...base,
        message_type: 'hidden_reasoning_message',
        state: 'redacted',
        hidden_reasoning: part.data,
      } satisfies HiddenReasoningMessage);
    } else if (part.type === 'omitted_reasoning') {
      out.push({
        ...base,
        message_type: 'hidden_reasoning_message',
        state: 'omitted',
      } satisfies HiddenReasoningMessage);
    }
  }
  return out;
}

function messageKwarg(args: string, kwarg: string): string | undefined {
  try {
    const parsed = JSON.parse(args) as Record<string, unknown>;
    const v = parsed?.[kwarg];
    if (v === undefined) return undefined;
    return typeof v === 'string' ? v : JSON.stringify(v);
  } catch {
    return undefined;
  }
}

function toolCallParts(msg: AgentMessage, start: number, opts: LettaMessageOptions): LettaMessage[] {
  const out: LettaMessage[] = [];
  let pending: LettaToolCall[] = [];
  const flush = (): void => {
    if (!pending.length) return;
    out.push({
      ...common(msg, otidFor(msg.id, start + out.length)),
      message_type: 'tool_call_message',
      tool_call: pending[0],
      tool_calls: pending,
    } satisfies ToolCallMessage);
    pending = [];
  };
  for (const call of msg.toolCalls ?? []) {
    const text =
      opts.useAssistantMessage && call.name === opts.assistantMessageToolName
        ? messageKwarg(call.arguments, opts.assistantMessageToolKwarg)
        : undefined;
    if (text === undefined) {
      pending.push(wireCall(call));
      continue;
    }
    flush();
    out.push({
      ...common(msg, otidFor(msg.id, start + out.length)),
      message_type: 'assistant_message',
      content: text,
    } satisfies AssistantMessage);
  }
  flush();
  return out;
}

function toolReturnMessage(msg: AgentMessage): ToolReturnMessage {
  const stored = msg.toolReturns?.length
    ? msg.toolReturns
    : [
        {
          toolCallId: msg.toolCallId ?? '',
          status: 'success' as const,
          funcResponse: textOf(msg),
          stdout: null,
          stderr: null,
        },
      ];
  const returns: LettaToolReturn[] = stored.map((r) => {
    const { message, status } = unpackToolResponse(r.funcResponse);
    return {
      type: 'tool',
      tool_call_id: r.toolCallId || msg.toolCallId || '',
      status: r.status ?? status,
      tool_return: message,
      stdout: r.stdout ?? null,
      stderr: r.stderr ?? null,
    };
  });
  const first = returns[0];
  return {
    ...common(msg, otidFor(msg.id, 0)),
    message_type: 'tool_return_message',
    tool_return: first.tool_return as string,
    status: first.status,
    tool_call_id: first.tool_call_id,
    stdout: first.stdout ?? null,
    stderr: first.stderr ?? null,
    tool_returns: returns,
  };
}

function approvalResponse(msg: AgentMessage): ApprovalResponseMessage {
  const approvals = (msg.approvals ?? []).map((a) =>
    a.type === 'approval'
      ? {
          type: 'approval' as const,
          tool_call_id: a.toolCallId,
          approve: a.approve,
          reason: a.reason ?? null,
        }
      : {
          type: 'tool' as const,
          tool_call_id: a.toolCallId,
          status: a.status,
          tool_return: a.toolReturn,
          stdout: a.stdout ?? null,
          stderr: a.stderr ?? null,
        },
  );
  const first = approvals.find((a) => a.type === 'approval');
  return {
    ...common(msg, msg.otid ?? null),
    message_type: 'approval_response_message',
    approvals,
    approve: first && 'approve' in first ? first.approve : null,
    // The request message's id (Letta's), not a tool call id; unknown for rows stored before it was kept.
    approval_request_id: msg.approvalRequestId ?? null,
    reason: first && 'reason' in first ? first.reason : null,
  };
}

/** Convert one stored message to the Letta wire messages it stands for (possibly none). */
export function toLettaMessages(
  msg: AgentMessage,
  opts: LettaMessageOptions = DEFAULT_LETTA_MESSAGE_OPTIONS,
): LettaMessage[] {
  switch (msg.role) {
    case 'assistant': {
      const parts = contentParts(msg, opts);
      return parts.concat(toolCallParts(msg, parts.length, opts));
    }
    case 'tool':
      if (opts.useAssistantMessage && msg.name === opts.assistantMessageToolName) return [];
      return [toolReturnMessage(msg)];
    case 'user': {
      const onlyText = msg.content.length > 0 && msg.content.every((p) => p.type === 'text');
      const content = onlyText
        ? unpackEnvelope(textOf(msg))
        : msg.content.flatMap((p): UserContent[] =>
            p.type === 'text'
              ? [{ type: 'text', text: p.text }]
              : p.type === 'image'
                ? [{ type: 'image', source: p.source } as unknown as UserContent]
                : [],
          );
      return [
        { ...common(msg, msg.otid ?? null), message_type: 'user_message', content } satisfies UserMessage,
      ];
    }
    case 'system':
      return [
        {
          ...common(msg, msg.otid ?? null),
          message_type: 'system_message',
          content: textOf(msg),
        } satisfies SystemMessage,
      ];
    case 'summary': {
      const summary = unpackEnvelope(textOf(msg));
      if (opts.summaryAsSummaryMessage)
        return [
          {
            ...common(msg, msg.otid ?? null),
            message_type: 'summary_message',
            summary,
          } satisfies SummaryMessage,
        ];
      return [
        {
          ...common(msg, msg.otid ?? null),
          message_type: 'user_message',
          content: summary,
        } satisfies UserMessage,
      ];
    }
    case 'approval': {
      if (!msg.toolCalls?.length) return [approvalResponse(msg)];
      const parts = contentParts(msg, opts);
      const calls = msg.toolCalls.map(wireCall);
      const request: ApprovalRequestMessage = {
        ...common(msg, msg.otid ?? otidFor(msg.id, parts.length)),
        message_type: 'approval_request_message',
        tool_call: calls[0],
        tool_calls: calls,
      };
      return [...parts, request];
    }
  }
}

export function toLettaMessageList(
  msgs: AgentMessage[],
  opts: LettaMessageOptions = DEFAULT_LETTA_MESSAGE_OPTIONS,
): LettaMessage[] {
  return msgs.flatMap((m) => toLettaMessages(m, opts));
}
