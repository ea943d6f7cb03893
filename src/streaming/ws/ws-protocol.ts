import { isId } from '../../common/ids';
import { MAX_MESSAGE_CHARS } from '../../common/limits';

/**
 * The `/ws` protocol (README "WebSocket"). Letta's WebSocket server (letta/server/ws_api) took
 * `{"type":"user_message","message","agent_id"}` and answered `agent_response_start`, one
 * `agent_response` per message (`message_type`, `message`), then `agent_response_end`, or
 * `agent_response_error`. Engram keeps those frames, puts the Letta message's own fields
 * (id, date, run_id, seq_id, ...) on each `agent_response`, and adds `subscribe`/`unsubscribe`.
 */

export type ClientFrame =
  | { type: 'user_message'; message: string; agent_id: string; run_id?: undefined }
  | { type: 'subscribe'; agent_id: string; run_id?: undefined; starting_after?: undefined }
  | { type: 'subscribe'; run_id: string; agent_id?: undefined; starting_after: number }
  | { type: 'unsubscribe'; agent_id: string; run_id?: undefined }
  | { type: 'unsubscribe'; run_id: string; agent_id?: undefined };

/** Why a frame was refused: `invalid_json`, `invalid_frame` (shape) or `unknown_type`. */
export class FrameError extends Error {
  constructor(
    readonly code: 'invalid_json' | 'invalid_frame' | 'unknown_type',
    message: string,
  ) {
    super(message);
  }
}

const FIELDS: Record<ClientFrame['type'], string[]> = {
  user_message: ['type', 'message', 'agent_id'],
  subscribe: ['type', 'agent_id', 'run_id', 'starting_after'],
  unsubscribe: ['type', 'agent_id', 'run_id'],
};

/** Parses one client frame, or throws a FrameError naming what is wrong. */
export function parseFrame(text: string): ClientFrame {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new FrameError('invalid_json', `The frame is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new FrameError('invalid_frame', 'A frame must be a JSON object with a "type"');
  const f = data as Record<string, unknown>;
  if (f.type === undefined) throw new FrameError('invalid_frame', 'Missing field "type"');
  if (typeof f.type !== 'string' || !(f.type in FIELDS))
    throw new FrameError(
      'unknown_type',
      `Unknown frame type ${JSON.stringify(f.type)}: expected one of ${Object.keys(FIELDS).join(', ')}`,
    );
  const type = f.type as ClientFrame['type'];
  const unknown = Object.keys(f).filter((k) => !FIELDS[type].includes(k));
  if (unknown.length)
    throw new FrameError(
      'invalid_frame',
      `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} in ${type} (allowed: ${FIELDS[type].join(', ')})`,
    );
  if (type === 'user_message') {
    if (typeof f.message !== 'string' || !f.message)
      throw new FrameError('invalid_frame', 'user_message needs "message", a non-empty string');
    if (f.message.length > MAX_MESSAGE_CHARS)
      throw new FrameError(
        'invalid_frame',
        `"message" has ${f.message.length} characters, over the limit of ${MAX_MESSAGE_CHARS}`,
      );
    return { type, message: f.message, agent_id: agentId(f.agent_id, type) };
  }
  const hasAgent = f.agent_id !== undefined;
  const hasRun = f.run_id !== undefined;
  if (hasAgent === hasRun)
    throw new FrameError('invalid_frame', `${type} needs exactly one of "agent_id" or "run_id"`);
  if (hasAgent) {
    if (f.starting_after !== undefined)
      throw new FrameError('invalid_frame', '"starting_after" goes with "run_id", not "agent_id"');
    return { type, agent_id: agentId(f.agent_id, type) };
  }
  if (!isId('run', f.run_id)) throw new FrameError('invalid_frame', '"run_id" must be a run id (run-<uuid>)');
  const runId = f.run_id.toLowerCase();
  if (type === 'unsubscribe') return { type, run_id: runId };
  const after = f.starting_after ?? 0;
  if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0)
    throw new FrameError('invalid_frame', '"starting_after" must be a non-negative integer (a seq_id)');
  return { type, run_id: runId, starting_after: after };
}

function agentId(v: unknown, type: string): string {
  if (v === undefined || v === null) throw new FrameError('invalid_frame', `${type} needs "agent_id"`);
  if (!isId('agent', v))
    throw new FrameError('invalid_frame', '"agent_id" must be an agent id (agent-<uuid>)');
  return v.toLowerCase();
}

/** What `message` carries for each Letta message type: the text, or the tool call / return. */
export function messagePayload(chunk: Record<string, unknown>): unknown {
  switch (chunk.message_type) {
    case 'assistant_message':
    case 'user_message':
    case 'system_message':
      return textOf(chunk.content);
    case 'reasoning_message':
      return chunk.reasoning;
    case 'hidden_reasoning_message':
      return chunk.hidden_reasoning ?? null;
    case 'tool_call_message':
    case 'approval_request_message':
      return chunk.tool_call ?? chunk.tool_calls ?? null;
    case 'tool_return_message':
      return chunk.tool_return ?? chunk.tool_returns ?? null;
    case 'stop_reason':
      return chunk.stop_reason;
    case 'error_message':
      return chunk.message;
    default:
      return null;
  }
}

function textOf(content: unknown): unknown {
  if (!Array.isArray(content)) return content;
  return content
    .map((p) => (p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : ''))
    .join('');
}

/** One chunk of a run as an `agent_response` event. */
export function agentResponse(runId: string, chunk: Record<string, unknown>): Record<string, unknown> {
  return { type: 'agent_response', ...chunk, run_id: chunk.run_id ?? runId, message: messagePayload(chunk) };
}
