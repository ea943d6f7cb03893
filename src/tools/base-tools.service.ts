import { Injectable, OnModuleInit } from '@nestjs/common';
import { BASE_TOOL_SPECS, baseToolsFor, isMemoryEditTool } from '@engram/agent-runtime';
import { AgentExtensions } from '../agents/agent-extensions';
import { AgentEntity } from '../agents/agent.entity';
import type { CreateAgentDto, UpdateAgentDto } from '../agents/dto/agent.dto';
import { Principal } from '../common/auth/principal';
import { InvalidInputError, NotFoundError } from '../common/errors';
import { isId, newId } from '../common/ids';
import { ToolAgentEntity, ToolEntity, toToolDto } from './tool.entity';
import { ToolsRepository } from './tools.repository';

/** The Letta tool type a base tool is listed under. */
function baseToolType(name: string): string {
  return isMemoryEditTool(name) ? 'letta_memory_core' : 'letta_core';
}

interface PreparedTools {
  toolIds: string[];
}

/**
 * Base tools (memory, search, send_message) are rows in each organization's tool table, as in
 * Letta, so agents list and attach them like any tool. This service keeps them present and
 * wires an agent's tools into agent creation, update and its AgentState.
 */
@Injectable()
export class BaseToolsService implements OnModuleInit {
  /** Organizations whose base tools were upserted by this process. */
  private readonly ensured = new Set<string>();

  constructor(
    private readonly tools: ToolsRepository,
    private readonly extensions: AgentExtensions,
  ) {}

  onModuleInit(): void {
    this.extensions.register({
      name: 'tools',
      prepareCreate: (p, dto) => this.prepareCreate(p, dto),
      // The base tool rules go on the agent row as it is inserted (AgentsService.create).
      createRows: (p, agent, _dto, prepared) => ({
        rows: [
          {
            entity: ToolAgentEntity,
            rows: (prepared as PreparedTools).toolIds.map((toolId) => ({
              organizationId: p.organizationId,
              agentId: agent.id,
              toolId,
            })),
          },
        ],
      }),
      afterUpdate: (p, agent, dto) => this.afterUpdate(p, agent, dto),
      statePart: {
        relation: 'tools',
        sql: ToolsRepository.AGENT_TOOLS_JSON,
        toState: (value) => ({ tools: this.tools.fromJson(value).map(toToolDto) }),
      },
    });
  }

  async ensureBaseTools(organizationId: string): Promise<void> {
    if (this.ensured.has(organizationId)) return;
    await this.tools.upsertByName(
      Object.values(BASE_TOOL_SPECS).map((spec) => ({
        id: newId('tool'),
        organizationId,
        name: spec.name,
        description: spec.description,
        toolType: baseToolType(spec.name),
        sourceType: 'python',
        jsonSchema: { name: spec.name, description: spec.description, parameters: spec.parameters },
        tags: [baseToolType(spec.name)],
        returnCharLimit: spec.returnCharLimit ?? 50000,
      })),
    );
    this.ensured.add(organizationId);
  }

  /** Resolves tool ids and names up front, so a bad one fails creation before anything is written. */
  private async prepareCreate(p: Principal, dto: CreateAgentDto): Promise<PreparedTools> {
    await this.ensureBaseTools(p.organizationId);
    const names = new Set<string>(dto.tools ?? []);
    if (dto.include_base_tools !== false)
      for (const n of baseToolsFor(dto.agent_type ?? 'letta_v1_agent')) names.add(n);
    const byName = await this.tools.findByNames(p.organizationId, [...names]);
    const missingName = [...names].find((n) => !byName.some((t) => t.name === n));
    if (missingName) throw new NotFoundError('Tool', missingName);
    const byId = await this.resolveIds(p, dto.tool_ids ?? []);
    return { toolIds: [...new Set([...byName.map((t) => t.id), ...byId.map((t) => t.id)])] };
  }

  /** PATCH tool_ids: the agent ends up with exactly these tools. */
  private async afterUpdate(p: Principal, agent: AgentEntity, dto: UpdateAgentDto): Promise<void> {
    if (!dto.tool_ids) return;
    const wanted = await this.resolveIds(p, dto.tool_ids);
    const current = (await this.tools.forAgents(p.organizationId, [agent.id])).get(agent.id) ?? [];
    for (const t of current)
      if (!wanted.some((w) => w.id === t.id)) await this.tools.detach(p.organizationId, agent.id, t.id);
    await this.tools.attach(
      p.organizationId,
      agent.id,
      wanted.map((t) => t.id),
    );
  }

  private async resolveIds(p: Principal, ids: string[]): Promise<ToolEntity[]> {
    const bad = ids.find((id) => !isId('tool', id));
    if (bad) throw new InvalidInputError(`tool_ids: '${bad}' is not a valid tool id`);
    const found = await this.tools.findByIds(p.organizationId, ids);
    const missing = ids.find((id) => !found.some((t) => t.id === id));
    if (missing) throw new NotFoundError('Tool', missing);
    return found;
  }
}
