import { Injectable } from '@nestjs/common';
import { Principal } from '../common/auth/principal';
import type { AgentEntity } from './agent.entity';
import type { CreateAgentDto, UpdateAgentDto } from './dto/agent.dto';
import type { EntityManager } from 'typeorm';

/**
 * Other domains (tools, sources, messages) own parts of an agent. Instead of the agents
 * module depending on all of them, each registers an extension here at start-up:
 * - `prepareCreate` runs before the agent's transaction (validate ids: a bad one aborts creation),
 * - `afterCreate` runs inside the transaction that inserts the agent,
 * - `prepareUpdate` runs before a PATCH writes anything (validate ids: a bad one aborts the update),
 * - `afterUpdate` applies its fields of a PATCH,
 * - `loadState` contributes fields to the AgentState response for a batch of agents.
 */
export interface AgentExtension {
  name: string;
  prepareCreate?(p: Principal, dto: CreateAgentDto): Promise<unknown>;
  afterCreate?(
    p: Principal,
    agent: AgentEntity,
    dto: CreateAgentDto,
    prepared: unknown,
    m: EntityManager,
  ): Promise<void>;
  prepareUpdate?(p: Principal, agent: AgentEntity, dto: UpdateAgentDto): Promise<void>;
  afterUpdate?(p: Principal, agent: AgentEntity, dto: UpdateAgentDto): Promise<void>;
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
