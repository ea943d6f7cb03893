import type { AgentMessage } from '@engram/agent-runtime';
import { textOf } from '@engram/agent-runtime';
import { MessageEntity } from './message.entity';

/**
 * The searchable text of a message: what it says, the tools it called, what they returned. The
 * system prompt is configuration, not conversation (recall never returns it): it has none, so
 * rewriting it at every step does not re-index a few KB of text.
 */
export function searchableText(m: AgentMessage): string {
  if (m.role === 'system') return '';
  const parts: string[] = [textOf(m)];
  for (const c of m.toolCalls ?? []) parts.push(c.name, c.arguments);
  for (const r of m.toolReturns ?? []) parts.push(r.funcResponse);
  return parts.filter(Boolean).join('\n');
}

export function toEntity(
  organizationId: string,
  agentId: string,
  m: AgentMessage,
  conversationId: string | null = null,
): Partial<MessageEntity> {
  return {
    id: m.id,
    organizationId,
    agentId,
    conversationId,
    role: m.role,
    content: m.content,
    toolCalls: m.toolCalls ?? null,
    toolCallId: m.toolCallId ?? null,
    name: m.name ?? null,
    toolReturns: m.toolReturns ?? null,
    approvals: m.approvals ?? null,
    approvalRequestId: m.approvalRequestId ?? null,
    runId: m.runId ?? null,
    stepId: m.stepId ?? null,
    otid: m.otid ?? null,
    senderId: m.senderId ?? null,
    isErr: m.isErr ?? null,
    model: m.model ?? null,
    textContent: searchableText(m),
    createdAt: m.createdAt,
  };
}

export function toAgentMessage(e: MessageEntity): AgentMessage {
  return {
    id: e.id,
    role: e.role as AgentMessage['role'],
    content: e.content as AgentMessage['content'],
    toolCalls: e.toolCalls as AgentMessage['toolCalls'],
    toolCallId: e.toolCallId,
    name: e.name,
    toolReturns: e.toolReturns as AgentMessage['toolReturns'],
    approvals: e.approvals as AgentMessage['approvals'],
    approvalRequestId: e.approvalRequestId,
    runId: e.runId,
    stepId: e.stepId,
    createdAt: e.createdAt,
    otid: e.otid,
    senderId: e.senderId,
    isErr: e.isErr,
    model: e.model,
  };
}
