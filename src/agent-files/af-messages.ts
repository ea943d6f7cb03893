/**
 * Messages in an agent file (`.af`) are Letta's stored `Message` in snake_case: content parts,
 * OpenAI-style `tool_calls`, `tool_returns` and approval decisions. This maps them to and from
 * the runtime's `AgentMessage`, which follows the same model field for field.
 */
import type {
  AgentMessage,
  MessageContentPart,
  MessageRole,
  StoredApproval,
  StoredToolCall,
  StoredToolReturn,
} from '@engram/agent-runtime';
import { InvalidInputError } from '../common/errors';

type Json = Record<string, unknown>;

/** One message as an agent file carries it (Letta's MessageSchema). */
export interface AfMessage {
  type: 'message';
  id: string;
  role: string;
  content: Json[];
  name: string | null;
  otid: string | null;
  sender_id: string | null;
  batch_item_id: null;
  group_id: null;
  model: string | null;
  agent_id: string;
  tool_calls: Json[] | null;
  tool_call_id: string | null;
  tool_returns: Json[];
  created_at: string;
  approve: null;
  approval_request_id: null;
  denial_reason: null;
  approvals: Json[];
}

export function toAfMessage(m: AgentMessage, fileId: string, agentFileId: string): AfMessage {
  return {
    type: 'message',
    id: fileId,
    role: m.role,
    content: m.content.map(partOut),
    name: m.name ?? null,
    otid: m.otid ?? null,
    sender_id: m.senderId ?? null,
    batch_item_id: null,
    group_id: null,
    model: m.model ?? null,
    agent_id: agentFileId,
    tool_calls: m.toolCalls?.length
      ? m.toolCalls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        }))
      : null,
    tool_call_id: m.toolCallId ?? null,
    tool_returns: (m.toolReturns ?? []).map((r) => ({
      tool_call_id: r.toolCallId,
      status: r.status,
      stdout: r.stdout ?? null,
      stderr: r.stderr ?? null,
      func_response: r.funcResponse,
    })),
    created_at: m.createdAt.toISOString(),
    approve: null,
    approval_request_id: null,
    denial_reason: null,
    approvals: (m.approvals ?? []).map((a) =>
      a.type === 'approval'
        ? { type: 'approval', tool_call_id: a.toolCallId, approve: a.approve, reason: a.reason ?? null }
        : {
            type: 'tool',
            tool_call_id: a.toolCallId,
            status: a.status,
            tool_return: a.toolReturn,
            stdout: a.stdout ?? null,
            stderr: a.stderr ?? null,
          },
    ),
  };
}

function partOut(p: MessageContentPart): Json {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text, signature: null };
    case 'reasoning':
      return {
        type: 'reasoning',
        is_native: p.isNative ?? false,
        reasoning: p.reasoning,
        signature: p.signature ?? null,
      };
    case 'redacted_reasoning':
      return { type: 'redacted_reasoning', data: p.data };
    case 'omitted_reasoning':
      return { type: 'omitted_reasoning', signature: p.signature ?? null };
    case 'image':
      return { type: 'image', source: p.source };
  }
}

const ROLES: Record<string, MessageRole> = {
  system: 'system',
  user: 'user',
  assistant: 'assistant',
  tool: 'tool',
  function: 'tool', // Letta's legacy name for a tool message
  approval: 'approval',
  summary: 'summary',
};

/** Reads one file message into an AgentMessage with a new id; `where` names it in errors. */
export function fromAfMessage(raw: unknown, id: string, where: string): AgentMessage {
  const m = object(raw, where);
  const role = ROLES[str(m.role, `${where}.role`)];
  if (!role)
    throw bad(
      `${where}.role`,
      `'${String(m.role)}' is not a message role (${Object.keys(ROLES).join(', ')})`,
    );
  const content =
    m.content == null ? [] : typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
  if (!Array.isArray(content)) throw bad(`${where}.content`, 'must be a list of content parts');
  const approvals = list(m.approvals, `${where}.approvals`).map((a, i) =>
    approvalIn(a, `${where}.approvals[${i}]`),
  );
  if (!approvals.length && m.approve != null)
    throw bad(`${where}.approve`, 'the message-level approval fields are not supported; use approvals');
  const created = m.created_at == null ? new Date() : new Date(str(m.created_at, `${where}.created_at`));
  if (Number.isNaN(created.getTime())) throw bad(`${where}.created_at`, 'is not a date');
  return {
    id,
    role,
    content: content.map((p, i) => partIn(p, `${where}.content[${i}]`)),
    toolCalls: list(m.tool_calls, `${where}.tool_calls`).map((c, i) =>
      toolCallIn(c, `${where}.tool_calls[${i}]`),
    ),
    toolCallId: optStr(m.tool_call_id, `${where}.tool_call_id`),
    name: optStr(m.name, `${where}.name`),
    toolReturns: list(m.tool_returns, `${where}.tool_returns`).map((r, i) =>
      toolReturnIn(r, `${where}.tool_returns[${i}]`),
    ),
    approvals: approvals.length ? approvals : null,
    otid: optStr(m.otid, `${where}.otid`),
    senderId: optStr(m.sender_id, `${where}.sender_id`),
    model: optStr(m.model, `${where}.model`),
    createdAt: created,
  };
}

function partIn(raw: unknown, where: string): MessageContentPart {
  const p = object(raw, where);
  switch (p.type) {
    case 'text':
      return { type: 'text', text: str(p.text, `${where}.text`) };
    case 'reasoning':
      return {
        type: 'reasoning',
        reasoning: str(p.reasoning, `${where}.reasoning`),
        isNative: p.is_native === true,
        signature: optStr(p.signature, `${where}.signature`),
      };
    case 'redacted_reasoning':
      return { type: 'redacted_reasoning', data: str(p.data, `${where}.data`) };
    case 'omitted_reasoning':
      return { type: 'omitted_reasoning', signature: optStr(p.signature, `${where}.signature`) };
    case 'image':
      return { type: 'image', source: object(p.source, `${where}.source`) };
    default:
      throw bad(
        `${where}.type`,
        `'${String(p.type)}' is not a content part Engram stores (text, reasoning, image)`,
      );
  }
}

function toolCallIn(raw: unknown, where: string): StoredToolCall {
  const c = object(raw, where);
  const fn = object(c.function, `${where}.function`);
  return {
    id: str(c.id, `${where}.id`),
    name: str(fn.name, `${where}.function.name`),
    arguments: str(fn.arguments ?? '{}', `${where}.function.arguments`),
  };
}

function toolReturnIn(raw: unknown, where: string): StoredToolReturn {
  const r = object(raw, where);
  return {
    toolCallId: str(r.tool_call_id, `${where}.tool_call_id`),
    status: status(r.status, `${where}.status`),
    funcResponse: str(r.func_response ?? r.tool_return ?? '', `${where}.func_response`),
    stdout: lines(r.stdout, `${where}.stdout`),
    stderr: lines(r.stderr, `${where}.stderr`),
  };
}

function approvalIn(raw: unknown, where: string): StoredApproval {
  const a = object(raw, where);
  if (a.type === 'approval' || 'approve' in a) {
    if (typeof a.approve !== 'boolean') throw bad(`${where}.approve`, 'must be true or false');
    return {
      type: 'approval',
      toolCallId: str(a.tool_call_id, `${where}.tool_call_id`),
      approve: a.approve,
      reason: optStr(a.reason, `${where}.reason`),
    };
  }
  return {
    type: 'tool',
    toolCallId: str(a.tool_call_id, `${where}.tool_call_id`),
    status: status(a.status, `${where}.status`),
    toolReturn: str(a.tool_return ?? a.func_response ?? '', `${where}.tool_return`),
    stdout: lines(a.stdout, `${where}.stdout`),
    stderr: lines(a.stderr, `${where}.stderr`),
  };
}

function bad(where: string, problem: string): InvalidInputError {
  return new InvalidInputError(`Invalid agent file: ${where}: ${problem}`);
}

function object(v: unknown, where: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(where, 'must be an object');
  return v as Json;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw bad(where, 'must be a string');
  return v;
}

function optStr(v: unknown, where: string): string | null {
  return v == null ? null : str(v, where);
}

function list(v: unknown, where: string): unknown[] {
  if (v == null) return [];
  if (!Array.isArray(v)) throw bad(where, 'must be a list');
  return v;
}

function lines(v: unknown, where: string): string[] | null {
  if (v == null) return null;
  const l = list(v, where);
  return l.map((x, i) => str(x, `${where}[${i}]`));
}

function status(v: unknown, where: string): 'success' | 'error' {
  if (v !== 'success' && v !== 'error') throw bad(where, "must be 'success' or 'error'");
  return v;
}

export { bad as agentFileError, object as afObject, list as afList, str as afString };
