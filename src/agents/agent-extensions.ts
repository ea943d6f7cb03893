import { Injectable } from '@nestjs/common';
import { Principal } from '../common/auth/principal';
import type { AgentEntity } from './agent.entity';
import type { CreateAgentDto, UpdateAgentDto } from './dto/agent.dto';
import type { EntityManager, EntityTarget } from 'typeorm';

/** Rows an extension writes with a new agent, in the agent's own INSERT statement. */
export interface CreateRows {
  entity: EntityTarget<unknown>;
  /** Entity-shaped (property names), undefined fields left to the column default. */
  rows: object[];
}

/** An extension's part of creating an agent: rows inserted with it, fields of its row. */
export interface CreateWrite {
  rows?: CreateRows[];
  agent?: Partial<AgentEntity>;
}

/** The relationships of an AgentState that `include` / `include_relationships` can leave out. */
export type AgentRelation = 'blocks' | 'tags' | 'tools' | 'sources' | 'identities' | 'secrets';

/**
 * An extension's part of the AgentState, read inside the single agent-state statement:
 * `sql` is a correlated subquery over the agent row aliased `a` whose value is JSON (or any
 * value pg parses), and `toState` turns that value into AgentState fields.
 */
export interface AgentStatePart {
  /** The relation `include` can leave out; without one, the part is always read. */
  relation?: AgentRelation;
  sql: string;
  toState(value: unknown): Record<string, unknown>;
}

/**
 * Other domains (tools, sources, messages) own parts of an agent. Instead of the agents
 * module depending on all of them, each registers an extension here at start-up:
 * - `prepareCreate` runs before the agent is written (validate ids: a bad one aborts creation),
 * - `createRows` returns rows written in the agent's own INSERT statement (preferred: creating
 *   an agent is then one statement, with no transaction around it),
 * - `afterCreate` runs inside a transaction with the agent's INSERT, when `hasCreateWork` (if
 *   given) says the prepared value needs it,
 * - `prepareUpdate` runs before a PATCH writes anything (validate ids: a bad one aborts the update),
 * - `afterUpdate` applies its fields of a PATCH,
 * - `statePart` contributes fields to the AgentState as a subquery of the one agent-state
 *   statement (preferred: no extra round trip);
 * - `loadState` contributes fields to the AgentState response for a batch of agents, in a
 *   query of its own run beside that statement.
 */
export interface AgentExtension {
  name: string;
  prepareCreate?(p: Principal, dto: CreateAgentDto): Promise<unknown>;
  createRows?(
    p: Principal,
    agent: Partial<AgentEntity> & { id: string; organizationId: string },
    dto: CreateAgentDto,
    prepared: unknown,
  ): CreateWrite;
  hasCreateWork?(prepared: unknown): boolean;
  afterCreate?(
    p: Principal,
    agent: AgentEntity,
    dto: CreateAgentDto,
    prepared: unknown,
    m: EntityManager,
  ): Promise<void>;
  prepareUpdate?(p: Principal, agent: AgentEntity, dto: UpdateAgentDto): Promise<void>;
  afterUpdate?(p: Principal, agent: AgentEntity, dto: UpdateAgentDto): Promise<void>;
  statePart?: AgentStatePart;
  /** A section of the agent's system prompt after its memory blocks (null: none). */
  promptSection?(p: Principal, agentId: string): Promise<string | null>;
  /**
   * A SQL boolean over the agent row `a`, false when `promptSection` would return null: read
   * with the step's other prompt inputs, it spares the section's own queries for most agents.
   */
  promptSectionWhen?: string;
  loadState?(p: Principal, agentIds: string[]): Promise<Map<string, Record<string, unknown>>>;
}

@Injectable()
export class AgentExtensions {
  private readonly extensions: AgentExtension[] = [];

  register(extension: AgentExtension): void {
    this.extensions.push(extension);
  }

  all(): readonly AgentExtension[] {
    return this.extensions;
  }
}
