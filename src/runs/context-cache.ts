import type { AgentMessage } from '@engram/agent-runtime';
import type { MessageEntity } from '../messages/message.entity';
import { toAgentMessage, toEntity } from '../messages/message.mapper';

/** An agent's in-context messages as of one version of its row. */
export interface CachedContext {
  /** The row's `xmin`: it moves with every change of the row, and (by trigger) of its messages. */
  version: string;
  /** The row's `message_ids`, as stored. */
  ids: string[];
  /** The messages of `ids` that exist, in order. */
  messages: AgentMessage[];
}

/**
 * The in-context messages of recently run agents, kept in this process so that a step reads
 * them from Postgres only when the agent's row changed since this process last wrote or read
 * them (another replica ran it, a message was edited, the context was reset...). The read
 * compares versions inside its own statement, so a stale copy is never used.
 *
 * Bounded by the number of messages held (least recently used agents leave first); 0 turns
 * it off. Entries are never mutated: a step's commit replaces its agent's entry.
 */
export class ContextCache {
  private readonly entries = new Map<string, CachedContext>();
  private held = 0;

  constructor(private readonly maxMessages: number) {}

  get(organizationId: string, agentId: string): CachedContext | undefined {
    const key = `${organizationId}/${agentId}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(organizationId: string, agentId: string, entry: CachedContext): void {
    this.delete(organizationId, agentId);
    if (entry.messages.length > this.maxMessages) return;
    this.entries.set(`${organizationId}/${agentId}`, entry);
    this.held += entry.messages.length;
    for (const [key, old] of this.entries) {
      if (this.held <= this.maxMessages) break;
      this.entries.delete(key);
      this.held -= old.messages.length;
    }
  }

  delete(organizationId: string, agentId: string): void {
    const key = `${organizationId}/${agentId}`;
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.held -= old.messages.length;
  }

  /** Messages held, across agents. */
  get size(): number {
    return this.held;
  }
}

/**
 * A message as a read from Postgres would return it: JSON fields as jsonb gives them back
 * (object keys in jsonb's order, undefined members dropped), absent fields null. A cached
 * context built from a step's own messages then equals the one a fresh read would build.
 */
export function asStored(m: AgentMessage): AgentMessage {
  // The same mapping a write and a read go through (message.mapper), the JSON columns as jsonb.
  const row = toEntity('', '', m);
  return toAgentMessage({
    ...row,
    content: jsonb(row.content),
    toolCalls: jsonb(row.toolCalls),
    toolReturns: jsonb(row.toolReturns),
    approvals: jsonb(row.approvals),
  } as MessageEntity);
}

/** JSON through jsonb: keys ordered shortest first, then bytewise; undefined members dropped. */
export function jsonb(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : jsonb(v)));
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  keys.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  for (const k of keys) out[k] = jsonb((value as Record<string, unknown>)[k]);
  return out;
}
