/**
 * The stored (internal) message model of the agent runtime, modelled on Letta's `Message`.
 * One row per message; `content`, `toolCalls`, `toolReturns` and `approvals` are JSON columns.
 */

export type MessageRole = 'system' | 'user' | 'assistant' | 'tool' | 'approval' | 'summary';

export type MessageContentPart =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; reasoning: string; isNative?: boolean; signature?: string | null }
  | { type: 'redacted_reasoning'; data: string }
  | { type: 'omitted_reasoning'; signature?: string | null }
  | { type: 'image'; source: Record<string, unknown> };

export interface StoredToolCall {
  /** Provider tool-call id (the tool return answers it with the same id). */
  id: string;
  name: string;
  /** Raw JSON text of the arguments as the model produced them. */
  arguments: string;
}

export interface StoredToolReturn {
  toolCallId: string;
  status: 'success' | 'error';
  /** The packed JSON the model sees: `{"status":"OK"|"Failed","message":...,"time":...}`. */
  funcResponse: string;
  stdout?: string[] | null;
  stderr?: string[] | null;
}

/** One decision inside an approval response (Letta's ApprovalReturn / client-side ToolReturn). */
export type StoredApproval =
  | { type: 'approval'; toolCallId: string; approve: boolean; reason?: string | null }
  | {
      type: 'tool';
      toolCallId: string;
      status: 'success' | 'error';
      toolReturn: string;
      stdout?: string[] | null;
      stderr?: string[] | null;
    };

export interface AgentMessage {
  /** `message-<uuid4>` */
  id: string;
  role: MessageRole;
  content: MessageContentPart[];
  /** Assistant (or approval-request) tool calls. */
  toolCalls?: StoredToolCall[] | null;
  /** For role `tool`: the call this message answers. */
  toolCallId?: string | null;
  /** Sender name (user) or tool name (tool messages). */
  name?: string | null;
  toolReturns?: StoredToolReturn[] | null;
  /** For role `approval` without toolCalls: the approval response. */
  approvals?: StoredApproval[] | null;
  /** For an approval response: the id of the approval request message it answers. */
  approvalRequestId?: string | null;
  runId?: string | null;
  stepId?: string | null;
  createdAt: Date;
  otid?: string | null;
  senderId?: string | null;
  isErr?: boolean | null;
  /** Model that produced an assistant message. */
  model?: string | null;
}

export function textOf(msg: Pick<AgentMessage, 'content'>): string {
  return msg.content
    .filter((p): p is { type: 'text'; text: string } => p.type === 'text')
    .map((p) => p.text)
    .join('');
}

export function reasoningOf(msg: Pick<AgentMessage, 'content'>): string {
  return msg.content
    .filter((p): p is { type: 'reasoning'; reasoning: string } => p.type === 'reasoning')
    .map((p) => p.reasoning)
    .join('');
}

/** True for a message that has tool calls the model expects answers to (assistant or approval request). */
export function hasToolCalls(msg: AgentMessage): boolean {
  return (msg.role === 'assistant' || msg.role === 'approval') && !!msg.toolCalls && msg.toolCalls.length > 0;
}

/** The pending approval request at the end of a context, if the last assistant turn asked for one. */
export function pendingApprovalRequest(inContext: AgentMessage[]): AgentMessage | null {
  for (let i = inContext.length - 1; i >= 0; i--) {
    const m = inContext[i];
    if (m.role === 'approval' && m.toolCalls?.length) return m;
    if (m.role === 'approval' || m.role === 'tool' || m.role === 'assistant' || m.role === 'user')
      return null;
  }
  return null;
}

/**
 * Derive a stable per-part id from a message id, as Letta does: the low 7 bits of the uuid are
 * replaced by the part index, so every Letta message cut from one stored message gets its own otid.
 */
export function otidFor(messageId: string, index: number): string {
  const hex = messageId.replace(/^message-/, '').replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex) || index < 0 || index > 127) return `${messageId}-${index}`;
  const n = (BigInt(`0x${hex}`) & ~BigInt(0x7f)) | BigInt(index);
  const h = n.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
