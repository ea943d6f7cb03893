import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { UpdateAgentDto } from '../agents/dto/agent.dto';
import { AgentsService } from '../agents/agents.service';
import { Principal } from '../common/auth/principal';
import { NotFoundError } from '../common/errors';
import { PageRequest } from '../common/pagination';
import { ToolEntity } from './tool.entity';
import { ToolExecutors } from './tool-executors';
import { ToolsRepository } from './tools.repository';
import { ToolsService } from './tools.service';

/** Letta's ToolExecutionResult, as `POST /v1/agents/:id/tools/:name/run` returns it. */
export interface ToolExecutionResultDto {
  status: 'success' | 'error';
  func_return: unknown;
  stdout: string[];
  stderr: string[];
  agent_state: null;
  sandbox_config_fingerprint: null;
}

type Rule = Record<string, unknown>;

/** An agent's tools: listing, attach/detach, running one by name, and its approval rules. */
@Injectable()
export class AgentToolsService {
  constructor(
    private readonly agents: AgentsService,
    private readonly tools: ToolsRepository,
    private readonly toolsService: ToolsService,
    private readonly executors: ToolExecutors,
  ) {}

  /** The agent's tools in attachment order, paged by id like every other list. */
  async list(p: Principal, agentId: string, page: PageRequest): Promise<ToolEntity[]> {
    await this.agents.assertExists(p, agentId);
    const all = await this.attached(p, agentId);
    let list = page.order === 'desc' ? [...all].reverse() : all;
    if (page.after) {
      const at = list.findIndex((t) => t.id === page.after);
      if (at < 0) throw new NotFoundError('Tool', page.after);
      list = list.slice(at + 1);
    }
    if (page.before) {
      const at = list.findIndex((t) => t.id === page.before);
      if (at < 0) throw new NotFoundError('Tool', page.before);
      list = list.slice(Math.max(0, at - page.limit), at);
    }
    return list.slice(0, page.limit);
  }

  /** Attaches the tool; a tool that asks for approval by default adds the agent's requires_approval rule. */
  async attach(p: Principal, agentId: string, toolId: string): Promise<Record<string, unknown>> {
    const agent = await this.agents.get(p, agentId);
    const tool = await this.toolsService.get(p, toolId);
    await this.tools.attach(p.organizationId, agentId, [tool.id]);
    if (tool.defaultRequiresApproval) {
      const rules = withApproval(agent.toolRules ?? [], tool.name, true);
      if (rules !== agent.toolRules) await this.setRules(p, agentId, rules);
    }
    return this.agents.getState(p, agentId);
  }

  async detach(p: Principal, agentId: string, toolId: string): Promise<Record<string, unknown>> {
    await this.agents.assertExists(p, agentId);
    await this.toolsService.get(p, toolId);
    await this.tools.detach(p.organizationId, agentId, toolId);
    return this.agents.getState(p, agentId);
  }

  /** Turns the requires_approval rule for one of the agent's tools on or off. */
  async setApproval(
    p: Principal,
    agentId: string,
    toolName: string,
    required: boolean,
  ): Promise<Record<string, unknown>> {
    const agent = await this.agents.get(p, agentId);
    await this.attachedByName(p, agentId, toolName);
    const rules = withApproval(agent.toolRules ?? [], toolName, required);
    if (rules !== agent.toolRules) await this.setRules(p, agentId, rules);
    return this.agents.getState(p, agentId);
  }

  /** Runs one of the agent's tools outside the loop, with the agent's secrets (no transaction held). */
  async run(
    p: Principal,
    agentId: string,
    toolName: string,
    args: Record<string, unknown>,
  ): Promise<ToolExecutionResultDto> {
    await this.agents.assertExists(p, agentId);
    const tool = await this.attachedByName(p, agentId, toolName);
    const r = await this.executors.execute(tool, args, {
      principal: p,
      agentId,
      toolCallId: `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    });
    return {
      status: r.status,
      func_return: r.funcReturn,
      stdout: r.stdout ?? [],
      stderr: r.stderr ?? [],
      agent_state: null,
      sandbox_config_fingerprint: null,
    };
  }

  private async attached(p: Principal, agentId: string): Promise<ToolEntity[]> {
    return (await this.tools.forAgents(p.organizationId, [agentId])).get(agentId) ?? [];
  }

  private async attachedByName(p: Principal, agentId: string, toolName: string): Promise<ToolEntity> {
    const tool = (await this.attached(p, agentId)).find((t) => t.name === toolName);
    if (!tool) throw new NotFoundError('Tool', `${toolName}' on agent '${agentId}`);
    return tool;
  }

  private async setRules(p: Principal, agentId: string, rules: Rule[]): Promise<void> {
    await this.agents.update(p, agentId, Object.assign(new UpdateAgentDto(), { tool_rules: rules }));
  }
}

/** The rules with the tool's requires_approval rule present or absent; the same array when nothing changes. */
export function withApproval(rules: Rule[], toolName: string, required: boolean): Rule[] {
  const isRule = (r: Rule) => r.type === 'requires_approval' && r.tool_name === toolName;
  const has = rules.some(isRule);
  if (required === has) return rules;
  return required
    ? [...rules, { type: 'requires_approval', tool_name: toolName }]
    : rules.filter((r) => !isRule(r));
}
