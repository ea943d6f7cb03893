import { Injectable } from '@nestjs/common';
import { baseToolRulesFor, MEMORY_PROMPT_TEMPLATE } from '@engram/agent-runtime';
import type { EntityManager } from 'typeorm';
import { Principal } from '../common/auth/principal';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import { isId, newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { BlockEntity } from '../memory/block.entity';
import { BlocksService } from '../memory/blocks.service';
import { toBlockDto } from '../memory/dto/block.dto';
import { ModelsService } from '../models/models.service';
import { AgentExtensions, AgentRelation, CreateRows } from './agent-extensions';
import { AgentEntity } from './agent.entity';
import { AgentFilter, AgentsRepository } from './agents.repository';
import { defaultSystemPrompt } from './default-system';
import { AgentType, ALL_RELATIONS, CreateAgentDto, UpdateAgentDto } from './dto/agent.dto';
import { randomAgentName } from './names';

@Injectable()
export class AgentsService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly blocks: BlocksService,
    private readonly models: ModelsService,
    private readonly extensions: AgentExtensions,
  ) {}

  /** `inTransaction` runs last inside the creating transaction (an import writes the history there). */
  async create(
    p: Principal,
    dto: CreateAgentDto,
    inTransaction?: (agent: AgentEntity, m: EntityManager) => Promise<void>,
  ): Promise<AgentEntity> {
    const agentType: AgentType = dto.agent_type ?? 'letta_v1_agent';
    const llmConfig = this.models.llmConfig(dto.model, dto.llm_config, {
      contextWindow: dto.context_window_limit,
      maxTokens: dto.max_tokens,
      parallelToolCalls: dto.parallel_tool_calls,
      enableReasoner: dto.enable_reasoner ?? dto.reasoning,
      maxReasoningTokens: dto.max_reasoning_tokens,
    });
    const embeddingConfig = await this.models.embeddingConfig(
      dto.embedding,
      dto.embedding_config,
      dto.embedding_chunk_size,
    );
    const newBlocks = (dto.memory_blocks ?? []).map((b) => this.blocks.build(p, b));
    const existing = await this.blocks.getMany(p, this.blockIds(dto.block_ids));
    assertUniqueLabels([...newBlocks.map((b) => b.label!), ...existing.map((b) => b.label)]);
    const prepared = new Map<string, unknown>();
    for (const ext of this.extensions.all()) {
      if (ext.prepareCreate) prepared.set(ext.name, await ext.prepareCreate(p, dto));
    }
    const id = newId('agent');
    const agent = {
      id,
      organizationId: p.organizationId,
      name: dto.name ?? randomAgentName(),
      agentType,
      system: dto.system ?? defaultSystemPrompt(agentType),
      description: dto.description ?? null,
      metadata: dto.metadata ?? null,
      model: (llmConfig.handle as string | undefined) ?? dto.model ?? null,
      embedding: (embeddingConfig?.handle as string | undefined) ?? dto.embedding ?? null,
      llmConfig,
      embeddingConfig,
      modelSettings: dto.model_settings ?? null,
      toolRules:
        dto.tool_rules ??
        (dto.include_base_tool_rules !== false && baseToolRulesFor(agentType).length
          ? (baseToolRulesFor(agentType) as unknown as Record<string, unknown>[])
          : null),
      responseFormat: dto.response_format ?? null,
      compactionSettings: dto.compaction_settings ?? null,
      messageIds: [],
      messageBufferAutoclear: dto.message_buffer_autoclear ?? false,
      timezone: dto.timezone ?? 'UTC',
      maxFilesOpen: dto.max_files_open ?? null,
      perFileViewWindowCharLimit: dto.per_file_view_window_char_limit ?? null,
      hidden: dto.hidden ?? null,
      projectId: dto.project_id ?? null,
      templateId: dto.template_id ?? null,
      baseTemplateId: dto.base_template_id ?? null,
      createdById: p.userId,
      lastUpdatedById: p.userId,
    };
    const rows: CreateRows[] = [];
    for (const ext of this.extensions.all()) {
      const write = ext.createRows?.(p, agent, dto, prepared.get(ext.name));
      if (write?.agent) Object.assign(agent, write.agent);
      if (write?.rows) rows.push(...write.rows.filter((r) => r.rows.length));
    }
    const afterCreate = this.extensions
      .all()
      .filter((ext) => ext.afterCreate && (ext.hasCreateWork?.(prepared.get(ext.name)) ?? true));
    return this.agents.create(
      {
        agent,
        tags: dto.tags ?? [],
        newBlocks: newBlocks as (Partial<BlockEntity> & { id: string; label: string })[],
        existingBlocks: existing,
        rows,
      },
      afterCreate.length || inTransaction
        ? async (m, created) => {
            for (const ext of afterCreate) await ext.afterCreate!(p, created, dto, prepared.get(ext.name), m);
            await inTransaction?.(created, m);
          }
        : undefined,
    );
  }

  /** The agent's model (a 404 for an unknown or another tenant's agent). */
  async model(p: Principal, id: string): Promise<Pick<AgentEntity, 'id' | 'model' | 'llmConfig'>> {
    const agent = await this.agents.findModel(p.organizationId, id);
    if (!agent) throw new NotFoundError('Agent', id);
    return agent;
  }

  async get(p: Principal, id: string): Promise<AgentEntity> {
    const agent = await this.agents.findById(p.organizationId, id);
    if (!agent) throw new NotFoundError('Agent', id);
    return agent;
  }

  /** Fails with 404 unless the agent exists in the tenant. */
  async assertExists(p: Principal, id: string): Promise<void> {
    await this.get(p, id);
  }

  /**
   * The id of the agent a reference names: an agent id, else an agent name (the tutorial
   * dialect's `/agents/sam/...`). An unknown one is a 404; a name several agents of the
   * organization share is a 409 listing their ids (oldest first), never a guess.
   */
  async resolveRef(p: Principal, ref: string): Promise<string> {
    if (isId('agent', ref)) {
      const id = ref.toLowerCase();
      await this.assertExists(p, id);
      return id;
    }
    const ids = await this.agents.listIds(
      p.organizationId,
      { name: ref },
      { limit: MAX_LISTED_NAMESAKES + 1, order: 'asc' },
    );
    if (!ids.length) throw new NotFoundError('Agent', ref);
    if (ids.length > 1) {
      const listed = ids.slice(0, MAX_LISTED_NAMESAKES).join(', ');
      const count = ids.length > MAX_LISTED_NAMESAKES ? `More than ${MAX_LISTED_NAMESAKES}` : `${ids.length}`;
      throw new ConflictError(
        `${count} agents are named '${ref}': ${listed}. Address one by its id`,
        'ambiguous_agent_name',
      );
    }
    return ids[0];
  }

  list(p: Principal, filter: AgentFilter, page: PageRequest): Promise<AgentEntity[]> {
    return this.agents.list(p.organizationId, filter, page);
  }

  count(p: Principal): Promise<number> {
    return this.agents.count(p.organizationId);
  }

  async update(p: Principal, id: string, dto: UpdateAgentDto): Promise<AgentEntity> {
    const agent = await this.get(p, id);
    for (const ext of this.extensions.all()) await ext.prepareUpdate?.(p, agent, dto);
    const patch: Partial<AgentEntity> = { lastUpdatedById: p.userId };
    const set = <K extends keyof AgentEntity>(key: K, value: AgentEntity[K] | undefined) => {
      if (value !== undefined) patch[key] = value;
    };
    set('name', dto.name ?? undefined);
    set('system', dto.system ?? undefined);
    set('description', dto.description);
    set('metadata', dto.metadata);
    set('toolRules', dto.tool_rules);
    set('responseFormat', dto.response_format);
    set('compactionSettings', dto.compaction_settings);
    set('modelSettings', dto.model_settings);
    set('timezone', dto.timezone);
    set('messageBufferAutoclear', dto.message_buffer_autoclear ?? undefined);
    set('maxFilesOpen', dto.max_files_open);
    set('perFileViewWindowCharLimit', dto.per_file_view_window_char_limit);
    set('hidden', dto.hidden);
    set('projectId', dto.project_id);
    set('templateId', dto.template_id);
    set('baseTemplateId', dto.base_template_id);
    set('lastStopReason', dto.last_stop_reason);
    set('lastRunDurationMs', dto.last_run_duration_ms);
    if (dto.last_run_completion)
      patch.lastRunCompletion = parseDate(dto.last_run_completion, 'last_run_completion');
    if (dto.message_ids) {
      const bad = dto.message_ids.find((m) => !isId('message', m));
      if (bad) throw new InvalidInputError(`message_ids: '${bad}' is not a valid message id`);
      patch.messageIds = dto.message_ids;
    }
    if (
      dto.model ||
      dto.llm_config ||
      dto.context_window_limit ||
      dto.max_tokens ||
      dto.parallel_tool_calls != null
    ) {
      const current = agent.llmConfig;
      const llm = this.models.llmConfig(
        dto.model ?? undefined,
        dto.llm_config ?? (dto.model ? undefined : current),
        {
          contextWindow: dto.context_window_limit,
          maxTokens: dto.max_tokens,
          parallelToolCalls: dto.parallel_tool_calls,
        },
      );
      patch.llmConfig = llm;
      patch.model = (llm.handle as string | undefined) ?? dto.model ?? agent.model;
    }
    if (dto.embedding || dto.embedding_config) {
      const emb = await this.models.embeddingConfig(
        dto.embedding ?? undefined,
        dto.embedding_config ?? undefined,
      );
      patch.embeddingConfig = emb;
      patch.embedding = (emb?.handle as string | undefined) ?? dto.embedding ?? agent.embedding;
    }
    if (dto.block_ids) await this.replaceBlocks(p, id, dto.block_ids);
    await this.agents.update(p.organizationId, id, patch, dto.tags ?? undefined);
    const updated = await this.get(p, id);
    for (const ext of this.extensions.all()) await ext.afterUpdate?.(p, updated, dto);
    return updated;
  }

  /** Records how the agent's last run ended (shown as last_run_* in its state). */
  async recordRun(
    p: Principal,
    id: string,
    r: { completedAt: Date; durationMs: number; stopReason: string },
  ) {
    await this.agents.update(p.organizationId, id, {
      lastRunCompletion: r.completedAt,
      lastRunDurationMs: r.durationMs,
      lastStopReason: r.stopReason,
    });
  }

  async delete(p: Principal, id: string): Promise<void> {
    if (!(await this.agents.deleteById(p.organizationId, id))) throw new NotFoundError('Agent', id);
  }

  listTags(
    p: Principal,
    opts: { after?: string; before?: string; limit: number; text?: string; order: 'asc' | 'desc' },
  ): Promise<string[]> {
    return this.agents.distinctTags(p.organizationId, opts);
  }

  /**
   * The Letta AgentState of each agent id (in order; unknown ids are skipped). The agent rows,
   * blocks, tags and every extension's `statePart` come in one statement; relations left out
   * of `include` (all by default) are not read, and show as empty.
   */
  async statesOf(
    p: Principal,
    ids: string[],
    include: ReadonlySet<AgentRelation> = ALL_RELATIONS,
  ): Promise<Record<string, unknown>[]> {
    const parts = this.extensions
      .all()
      .flatMap((e) =>
        e.statePart && (!e.statePart.relation || include.has(e.statePart.relation)) ? [e.statePart] : [],
      );
    const [rows, ...extra] = await Promise.all([
      this.agents.findWithRelations(p.organizationId, ids, {
        blocks: include.has('blocks'),
        tags: include.has('tags'),
        parts: parts.map((part) => part.sql),
      }),
      ...this.extensions.all().flatMap((e) => (e.loadState ? [e.loadState(p, ids)] : [])),
    ]);
    return rows.map(({ agent, blocks, tags, parts: values }) => {
      const state = toAgentState(agent, blocks, tags);
      values.forEach((value, i) => Object.assign(state, parts[i].toState(value)));
      for (const contributed of extra) Object.assign(state, contributed.get(agent.id) ?? {});
      // `file_blocks` (from the sources extension) belongs inside `memory`.
      if ('file_blocks' in state) {
        (state.memory as Record<string, unknown>).file_blocks = state.file_blocks;
        delete state.file_blocks;
      }
      return state;
    });
  }

  /** One page of agents as AgentStates: the page's ids, then their states in one statement. */
  async listStates(
    p: Principal,
    filter: AgentFilter,
    page: PageRequest,
    include?: ReadonlySet<AgentRelation>,
  ): Promise<Record<string, unknown>[]> {
    return this.statesOf(p, await this.agents.listIds(p.organizationId, filter, page), include);
  }

  toStates(p: Principal, agents: AgentEntity[]): Promise<Record<string, unknown>[]> {
    return this.statesOf(
      p,
      agents.map((a) => a.id),
    );
  }

  async toState(p: Principal, agent: AgentEntity): Promise<Record<string, unknown>> {
    return this.getState(p, agent.id);
  }

  /** The prompt sections other domains add after the agent's memory blocks (e.g. `<directories>`). */
  /**
   * The extensions' prompt sections. `applies` (the values of `promptSectionChecks()`, read by
   * the caller) skips those known to be empty.
   */
  async promptSections(p: Principal, agentId: string, applies?: boolean[]): Promise<string[]> {
    const checked = this.checkedSections();
    const parts = await Promise.all(
      this.extensions.all().map((e) => {
        const i = checked.indexOf(e);
        if (applies && i >= 0 && applies[i] === false) return Promise.resolve(null);
        return e.promptSection?.(p, agentId) ?? Promise.resolve(null);
      }),
    );
    return parts.filter((x): x is string => !!x);
  }

  /** SQL booleans over the agent row `a`: whether each checked prompt section may be non-empty. */
  promptSectionChecks(): string[] {
    return this.checkedSections().map((e) => e.promptSectionWhen!);
  }

  private checkedSections() {
    return this.extensions.all().filter((e) => e.promptSection && e.promptSectionWhen);
  }

  /** One agent's state, or 404. */
  async getState(
    p: Principal,
    id: string,
    include?: ReadonlySet<AgentRelation>,
  ): Promise<Record<string, unknown>> {
    const [state] = await this.statesOf(p, [id], include);
    if (!state) throw new NotFoundError('Agent', id);
    return state;
  }

  private blockIds(ids: string[] | null | undefined): string[] {
    const list = ids ?? [];
    const bad = list.find((b) => !isId('block', b));
    if (bad) throw new InvalidInputError(`block_ids: '${bad}' is not a valid block id`);
    return list;
  }

  /** PATCH block_ids: the agent ends up with exactly these blocks. */
  private async replaceBlocks(p: Principal, agentId: string, blockIds: string[]): Promise<void> {
    const wanted = await this.blocks.getMany(p, this.blockIds(blockIds));
    assertUniqueLabels(wanted.map((b) => b.label));
    const current = (await this.blocks.forAgents(p, [agentId])).get(agentId) ?? [];
    for (const b of current)
      if (!wanted.some((w) => w.id === b.id)) await this.blocks.detach(p, agentId, b.id);
    for (const b of wanted)
      if (!current.some((c) => c.id === b.id)) await this.blocks.attach(p, agentId, b.id);
  }
}

/** How many namesakes a 409 for an ambiguous agent name lists. */
const MAX_LISTED_NAMESAKES = 20;

function assertUniqueLabels(labels: string[]): void {
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) throw new InvalidInputError(`Two memory blocks share the label '${label}'`);
    seen.add(label);
  }
}

function parseDate(value: string, field: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InvalidInputError(`${field}: '${value}' is not a valid date`);
  return d;
}

function toAgentState(a: AgentEntity, blocks: BlockEntity[], tags: string[]): Record<string, unknown> {
  const blockDtos = blocks.map(toBlockDto);
  return {
    id: a.id,
    name: a.name,
    agent_type: a.agentType,
    system: a.system,
    description: a.description,
    metadata: a.metadata,
    tags,
    blocks: blockDtos,
    memory: {
      agent_type: a.agentType,
      blocks: blockDtos,
      file_blocks: [],
      git_enabled: false,
      prompt_template: MEMORY_PROMPT_TEMPLATE,
    },
    model: a.model,
    embedding: a.embedding,
    llm_config: a.llmConfig,
    embedding_config: a.embeddingConfig,
    model_settings: a.modelSettings,
    tool_rules: a.toolRules ?? [],
    response_format: a.responseFormat,
    compaction_settings: a.compactionSettings,
    tools: [],
    sources: [],
    identities: [],
    identity_ids: [],
    secrets: [],
    tool_exec_environment_variables: [],
    message_ids: a.messageIds,
    message_buffer_autoclear: a.messageBufferAutoclear,
    timezone: a.timezone,
    max_files_open: a.maxFilesOpen,
    per_file_view_window_char_limit: a.perFileViewWindowCharLimit,
    enable_sleeptime: false,
    multi_agent_group: null,
    managed_group: null,
    pending_approval: null,
    hidden: a.hidden,
    project_id: a.projectId,
    template_id: a.templateId,
    base_template_id: a.baseTemplateId,
    deployment_id: null,
    entity_id: null,
    last_run_completion: a.lastRunCompletion?.toISOString() ?? null,
    last_run_duration_ms: a.lastRunDurationMs,
    last_stop_reason: a.lastStopReason,
    created_by_id: a.createdById,
    last_updated_by_id: a.lastUpdatedById,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}
