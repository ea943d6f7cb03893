import { randomUUID } from 'node:crypto';

/** Letta-style prefixed ids: `agent-<uuid4>`. */
export type IdPrefix =
  | 'agent'
  | 'block'
  | 'message'
  | 'tool'
  | 'source'
  | 'file'
  | 'file_agent'
  | 'passage'
  | 'archive'
  | 'run'
  | 'step'
  | 'job'
  | 'conversation'
  /** Letta's conversation ids: `conv-<uuid4>`. */
  | 'conv'
  | 'org'
  | 'user'
  | 'provider'
  | 'identity'
  | 'mcp_server'
  | 'sandbox-env'
  | 'agent-env'
  | 'apikey'
  | 'access_token'
  | 'scheduled_message'
  /** Letta's provider traces (a step's LLM request and response). */
  | 'provider_trace';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const patterns = new Map<string, RegExp>();

export function newId(prefix: IdPrefix): string {
  return `${prefix}-${randomUUID()}`;
}

export function isId(prefix: IdPrefix, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  let re = patterns.get(prefix);
  if (!re) {
    re = new RegExp(`^${prefix}-${UUID}$`, 'i');
    patterns.set(prefix, re);
  }
  return re.test(value);
}
