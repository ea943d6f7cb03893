import { Injectable } from '@nestjs/common';
import { baseToolRulesFor, compileSystemPrompt, ToolRule, ToolRulesSolver } from '@engram/agent-runtime';
import { AgentsService } from '../agents/agents.service';
import { ArchivalMemoryService, RecallSearchService } from '../archival';
import { Principal } from '../common/auth/principal';
import { InvalidInputError } from '../common/errors';
import { BlocksService } from '../memory/blocks.service';
import { ToolsRepository } from '../tools/tools.repository';

export interface RecompileOptions {
  /** Show the memory as edited now (Letta's `update_timestamp`). */
  updateTimestamp?: boolean;
  /** Persist nothing (Letta's `dry_run`). */
  dryRun?: boolean;
}

/**
 * POST /v1/agents/:id/recompile: the system prompt the agent's next step sends, compiled by the
 * runtime's own `compileSystemPrompt` from the agent's system text, core memory blocks, memory
 * counts and tool rules. Engram stores no compiled prompt (every step compiles it afresh), so
 * there is nothing to persist: recompiling and a dry run answer the same text.
 */
@Injectable()
export class SystemPromptService {
  constructor(
    private readonly agents: AgentsService,
    private readonly blocks: BlocksService,
    private readonly tools: ToolsRepository,
    private readonly archival: ArchivalMemoryService,
    private readonly recall: RecallSearchService,
  ) {}

  async recompile(p: Principal, agentId: string, opts: RecompileOptions = {}): Promise<string> {
    if (opts.updateTimestamp && !opts.dryRun)
      throw new InvalidInputError(
        'update_timestamp: Engram derives the memory edit time from the blocks themselves and cannot ' +
          'store another; use it with dry_run=true to see the prompt as if memory were edited now',
      );
    const agent = await this.agents.get(p, agentId);
    const archival = this.archival.portFor(p, agentId);
    const [blocks, tools, recallCount, archivalCount, tags, sections] = await Promise.all([
      this.blocks.forAgents(p, [agentId]).then((m) => m.get(agentId) ?? []),
      this.tools.forAgents(p.organizationId, [agentId]).then((m) => m.get(agentId) ?? []),
      this.recall.portFor(p, agentId).count(),
      archival.count(),
      archival.listTags ? archival.listTags() : Promise.resolve([]),
      this.agents.promptSections(p, agentId),
    ]);
    const now = new Date();
    return compileSystemPrompt({
      sections,
      system: agent.system,
      blocks,
      now,
      timezone: agent.timezone,
      lastMemoryEdit: opts.updateTimestamp ? now : undefined,
      recallMessageCount: recallCount,
      archivalPassageCount: archivalCount,
      archiveTags: tags,
      toolRules: new ToolRulesSolver(
        effectiveRules(
          agent.agentType,
          (agent.toolRules ?? []) as unknown as ToolRule[],
          tools.map((t) => t.name),
        ),
      ).describe(),
    });
  }
}

/** The agent's rules plus its type's base rules for the tools it has, as the loop applies them. */
function effectiveRules(agentType: string, own: ToolRule[], toolNames: string[]): ToolRule[] {
  const rules = [...own];
  for (const r of baseToolRulesFor(agentType))
    if (
      toolNames.includes(r.tool_name) &&
      !rules.some((x) => x.tool_name === r.tool_name && x.type === r.type)
    )
      rules.push(r);
  return rules;
}
