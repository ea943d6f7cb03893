import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AgentExtensions } from '../agents/agent-extensions';
import { AgentEntity } from '../agents/agent.entity';
import { AgentsService } from '../agents/agents.service';
import type { CreateAgentDto, UpdateAgentDto } from '../agents/dto/agent.dto';
import { EmbeddingsService } from '../archival/embeddings.service';
import { Principal } from '../common/auth/principal';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import { isId, newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { ModelsService } from '../models/models.service';
import { filesConfigOf } from './agent-files.service';
import { CreateFolderDto, UpdateFolderDto } from './dto/source.dto';
import { FileEntity } from './file.entity';
import { fileWindow } from './file-window';
import { FilesRepository } from './files.repository';
import { FileToolsService } from './file-tools.service';
import { SourceEntity, toFolderDto } from './source.entity';
import { AgentFolderState, SourcesRepository } from './sources.repository';

/**
 * Folders (Letta's sources): CRUD, which agents have them, and the agent's `sources`,
 * `folder_ids`/`source_ids` and `memory.file_blocks`.
 */
@Injectable()
export class SourcesService implements OnModuleInit {
  constructor(
    private readonly sources: SourcesRepository,
    private readonly files: FilesRepository,
    private readonly fileTools: FileToolsService,
    private readonly agents: AgentsService,
    private readonly models: ModelsService,
    private readonly embeddings: EmbeddingsService,
    private readonly extensions: AgentExtensions,
  ) {}

  onModuleInit(): void {
    this.extensions.register({
      name: 'sources',
      prepareCreate: async (p, dto) => {
        const ids = await this.resolveIds(p, agentFolderIds(dto) ?? []);
        if (ids.length) await this.fileTools.ensure(p.organizationId);
        return ids;
      },
      hasCreateWork: (prepared) => (prepared as string[]).length > 0,
      afterCreate: (_p, agent, _dto, prepared, m) => this.link(m, agent, prepared as string[]),
      prepareUpdate: async (p, _agent, dto) => {
        const ids = agentFolderIds(dto);
        if (ids) await this.resolveIds(p, ids);
      },
      afterUpdate: (p, agent, dto) => this.afterAgentUpdate(p, agent.id, dto),
      promptSection: (p, agentId) => this.directories(p, agentId),
      promptSectionWhen: 'EXISTS (SELECT 1 FROM sources_agents sa WHERE sa.agent_id = a.id)',
      statePart: {
        relation: 'sources',
        sql: SourcesRepository.AGENT_FOLDERS_JSON,
        toState: (value) => folderState(value as AgentFolderState),
      },
    });
  }

  /**
   * The embedding config a new folder gets from `embedding_config`, else `embedding`, else the
   * default model. An unknown or unconfigured model is refused now, not at the first upload.
   */
  async resolveEmbedding(dto: CreateFolderDto): Promise<Record<string, unknown>> {
    const embeddingConfig = dto.embedding_config
      ? await this.models.embeddingConfig(undefined, dto.embedding_config, dto.embedding_chunk_size)
      : await this.models.embeddingConfig(
          dto.embedding ?? this.embeddings.defaultHandle(),
          undefined,
          dto.embedding_chunk_size,
        );
    this.embeddings.client(this.embeddings.handleOf(embeddingConfig));
    return embeddingConfig;
  }

  /** `embeddingConfig`: what `resolveEmbedding` answered for this dto, when the caller has it. */
  async create(
    p: Principal,
    dto: CreateFolderDto,
    embeddingConfig?: Record<string, unknown>,
  ): Promise<SourceEntity> {
    embeddingConfig ??= await this.resolveEmbedding(dto);
    const id = newId('source');
    await this.unique(p, dto.name, () =>
      this.sources.insert({
        id,
        organizationId: p.organizationId,
        name: dto.name,
        description: dto.description ?? null,
        instructions: dto.instructions ?? null,
        metadata: dto.metadata ?? null,
        embeddingConfig,
        createdById: p.userId,
        lastUpdatedById: p.userId,
      }),
    );
    return this.get(p, id);
  }

  async get(p: Principal, id: string): Promise<SourceEntity> {
    const found = await this.sources.findById(p.organizationId, id);
    if (!found) throw new NotFoundError('Folder', id);
    return found;
  }

  list(p: Principal, name: string | undefined, page: PageRequest): Promise<SourceEntity[]> {
    return this.sources.list(p.organizationId, name, page);
  }

  count(p: Principal): Promise<number> {
    return this.sources.count(p.organizationId);
  }

  /** Whether the organization has a folder of this name. */
  async nameTaken(p: Principal, name: string): Promise<boolean> {
    return (await this.sources.list(p.organizationId, name, { limit: 1, order: 'asc' })).length > 0;
  }

  /** The organization's file tools (open_files, grep_files, semantic_search_files) by name, made if missing. */
  async ensureFileTools(p: Principal): Promise<Map<string, string>> {
    await this.fileTools.ensure(p.organizationId);
    return this.fileTools.ids(p.organizationId);
  }

  async update(p: Principal, id: string, dto: UpdateFolderDto): Promise<SourceEntity> {
    const current = await this.get(p, id);
    const patch: Partial<SourceEntity> = { lastUpdatedById: p.userId };
    if (dto.name != null) patch.name = dto.name;
    if (dto.description !== undefined) patch.description = dto.description;
    if (dto.instructions !== undefined) patch.instructions = dto.instructions;
    if (dto.metadata !== undefined) patch.metadata = dto.metadata;
    if (dto.embedding_config != null) {
      const next = await this.models.embeddingConfig(undefined, dto.embedding_config);
      if (this.embeddings.handleOf(next) !== this.embeddings.handleOf(current.embeddingConfig))
        throw new InvalidInputError(
          "embedding_config: a folder's embedding model cannot change once it has files embedded with it",
        );
      patch.embeddingConfig = next;
    }
    await this.unique(
      p,
      patch.name ?? current.name,
      () => this.sources.update(p.organizationId, id, patch),
      id,
    );
    if (patch.name && patch.name !== current.name)
      await this.files.renameFolderViews(p.organizationId, id, current.name, patch.name);
    return this.get(p, id);
  }

  /** Deleting a folder removes its files, their passages and every agent's view of them. */
  async delete(p: Principal, id: string): Promise<void> {
    if (!(await this.sources.deleteById(p.organizationId, id))) throw new NotFoundError('Folder', id);
  }

  async agentIds(p: Principal, id: string, page: PageRequest): Promise<string[]> {
    await this.get(p, id);
    return this.sources.agentIds(p.organizationId, id, page);
  }

  async forAgent(p: Principal, agentId: string, page: PageRequest): Promise<SourceEntity[]> {
    await this.agents.assertExists(p, agentId);
    return this.sources.forAgent(p.organizationId, agentId, page);
  }

  /** Attaches a folder: the agent gets a view of each file, and opens the newest up to its limit. */
  async attach(p: Principal, agentId: string, sourceId: string): Promise<Record<string, unknown>> {
    const [agent] = await Promise.all([this.agents.get(p, agentId), this.get(p, sourceId)]);
    await this.fileTools.ensure(p.organizationId);
    await this.sources.transaction((m) => this.link(m, agent, [sourceId]));
    return this.agents.getState(p, agentId);
  }

  /**
   * Links folders to an agent inside `m`: a view of each of their files, the newest parsed ones
   * open (as Letta opens them on attach), then the least recently used closed past the limit.
   */
  private async link(m: EntityManager, agent: AgentEntity, sourceIds: string[]): Promise<void> {
    if (sourceIds.length === 0) return;
    const org = agent.organizationId;
    const config = filesConfigOf(agent);
    await this.sources.attach(m, org, agent.id, sourceIds);
    for (const sourceId of sourceIds) {
      const source = await m
        .getRepository(SourceEntity)
        .findOneByOrFail({ organizationId: org, id: sourceId });
      const files = await this.files.filesWithText(m, org, sourceId);
      const open = new Set(
        files
          .filter((f) => f.completed)
          .slice(-config.maxFilesOpen)
          .map((f) => f.id),
      );
      await this.files.addViews(
        m,
        org,
        files.map((f) => ({
          agentId: agent.id,
          fileId: f.id,
          sourceId,
          fileName: `${source.name}/${f.fileName}`,
          visibleContent: open.has(f.id) ? fileWindow(f.text ?? '', {}, config.charLimit).content : null,
        })),
      );
    }
    await this.files.enforceOpenLimit(m, org, agent.id, config.maxFilesOpen);
    await this.fileTools.attach(m, org, agent.id);
  }

  async detach(p: Principal, agentId: string, sourceId: string): Promise<Record<string, unknown>> {
    await Promise.all([this.agents.assertExists(p, agentId), this.get(p, sourceId)]);
    await this.sources.detach(p.organizationId, agentId, sourceId);
    await this.fileTools.detachIfNoFolders(p.organizationId, agentId);
    return this.agents.getState(p, agentId);
  }

  /** A new file's (closed) view for each agent with its folder. */
  async addViews(p: Principal, agentIds: string[], source: SourceEntity, file: FileEntity): Promise<void> {
    const rows = agentIds.map((agentId) => ({
      agentId,
      fileId: file.id,
      sourceId: source.id,
      fileName: `${source.name}/${file.fileName}`,
    }));
    await this.files.transaction((m) => this.files.addViews(m, p.organizationId, rows));
  }

  /**
   * The `<directories>` section of the agent's prompt (Letta's layout): each attached folder
   * with its description and instructions, and each file, open ones with their visible window.
   */
  private async directories(p: Principal, agentId: string): Promise<string | null> {
    const folders = (await this.sources.forAgents(p.organizationId, [agentId])).get(agentId) ?? [];
    if (folders.length === 0) return null;
    const [agent, views] = await Promise.all([
      this.agents.get(p, agentId),
      this.files.viewsOf(p.organizationId, agentId),
    ]);
    const config = filesConfigOf(agent);
    const out = [
      '<directories>',
      '<file_limits>',
      `- current_files_open=${views.filter((v) => v.isOpen).length}`,
      `- max_files_open=${config.maxFilesOpen}`,
      '</file_limits>',
    ];
    for (const folder of folders) {
      out.push(`<directory name="${folder.name}">`);
      if (folder.description) out.push(`<description>${folder.description}</description>`);
      if (folder.instructions) out.push(`<instructions>${folder.instructions}</instructions>`);
      for (const v of views.filter((x) => x.sourceId === folder.id)) {
        const value = v.isOpen ? (v.visibleContent ?? '') : '';
        out.push(`<file status="${v.isOpen ? 'open' : 'closed'}" name="${v.fileName}">`);
        out.push(
          '<metadata>',
          '- read_only=true',
          `- chars_current=${value.length}`,
          `- chars_limit=${config.charLimit}`,
          '</metadata>',
        );
        if (value) out.push('<value>', value, '</value>');
        out.push('</file>');
      }
      out.push('</directory>');
    }
    out.push('</directories>');
    return out.join('\n');
  }

  private async resolveIds(p: Principal, given: string[]): Promise<string[]> {
    const bad = given.find((id) => !isId('source', id));
    if (bad)
      throw new InvalidInputError(
        `folder_ids: '${bad}' is not a valid folder id (expected 'source-<uuid4>')`,
      );
    const ids = [...new Set(given.map((id) => id.toLowerCase()))];
    const found = await this.sources.findByIds(p.organizationId, ids);
    const missing = ids.find((id) => !found.some((s) => s.id === id));
    if (missing) throw new NotFoundError('Folder', missing);
    return ids;
  }

  /** `folder_ids`/`source_ids` on agent update: the agent's folders become exactly these. */
  private async afterAgentUpdate(p: Principal, agentId: string, dto: UpdateAgentDto): Promise<void> {
    const given = agentFolderIds(dto);
    if (!given) return;
    const wanted = await this.resolveIds(p, given);
    const current = (await this.sources.forAgents(p.organizationId, [agentId])).get(agentId) ?? [];
    for (const s of current) if (!wanted.includes(s.id)) await this.detach(p, agentId, s.id);
    for (const id of wanted) if (!current.some((s) => s.id === id)) await this.attach(p, agentId, id);
  }

  /** Names are unique per organization: a taken one is a 409 (the constraint decides races). */
  private async unique(p: Principal, name: string, write: () => Promise<void>, id?: string): Promise<void> {
    const [taken] = await this.sources.list(p.organizationId, name, { limit: 1, order: 'asc' });
    if (taken && taken.id !== id)
      throw new ConflictError(`A folder named '${name}' already exists`, 'folder_conflict');
    try {
      await write();
    } catch (e) {
      const err = e as { code?: string; driverError?: { code?: string } };
      if ((err.driverError?.code ?? err.code) === '23505')
        throw new ConflictError(`A folder named '${name}' already exists`, 'folder_conflict');
      throw e;
    }
  }
}

/** The agent's `sources` and `memory.file_blocks` (moved into `memory` by AgentsService). */
function folderState(v: AgentFolderState): Record<string, unknown> {
  const limit = filesConfigOf({
    maxFilesOpen: v.max_files_open,
    perFileViewWindowCharLimit: v.per_file_view_window_char_limit,
    llmConfig: { context_window: v.context_window },
  }).charLimit;
  return {
    sources: v.sources.map((s) => toFolderDto(SourcesRepository.fromJson(s))),
    file_blocks: v.views.map((f) => ({
      id: f.id,
      label: f.file_name,
      value: f.is_open ? (f.visible_content ?? '') : '',
      limit,
      description: null,
      metadata: {},
      read_only: true,
      is_template: false,
      hidden: null,
      file_id: f.file_id,
      source_id: f.source_id,
      is_open: f.is_open,
      last_accessed_at: new Date(f.last_accessed_at).toISOString(),
    })),
  };
}

/** The folders an agent create/update names: `folder_ids`, or Letta's older `source_ids`. */
function agentFolderIds(dto: CreateAgentDto | UpdateAgentDto): string[] | undefined {
  if (dto.folder_ids != null && dto.source_ids != null) {
    const a = [...dto.folder_ids].sort().join();
    const b = [...dto.source_ids].sort().join();
    if (a !== b)
      throw new InvalidInputError('folder_ids and source_ids: give one of them (they are the same field)');
  }
  return dto.folder_ids ?? dto.source_ids ?? undefined;
}
