import { Injectable } from '@nestjs/common';
import type { ArchivalPort, ArchivalSearchOptions, Passage } from '@engram/agent-runtime';
import { AgentEntity } from '../agents/agent.entity';
import { AgentsRepository } from '../agents/agents.repository';
import { Principal } from '../common/auth/principal';
import { InvalidInputError, NotFoundError } from '../common/errors';
import { isId, newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { charCount } from '../common/text';
import { ArchiveEntity } from './archive.entity';
import { ArchivesRepository } from './archives.repository';
import { EmbeddingsService } from './embeddings.service';
import { Fused, fuse, legDepth, MAX_QUERY_CHARS, MAX_TEXT_CHARS } from './hybrid';
import { PassageEntity } from './passage.entity';
import { PassagesRepository, RankedPassage } from './passages.repository';

export interface PassageInput {
  text: string;
  tags?: string[] | null;
  metadata?: Record<string, unknown> | null;
  createdAt?: Date | null;
}

export interface PassageSearchFilter {
  tags?: string[] | null;
  tagMatchMode?: string;
  start?: Date;
  end?: Date;
}

/** Where a search looks: one agent's archives, one archive, or (neither) the whole organization. */
export interface PassageScope {
  agentId?: string | null;
  archiveId?: string | null;
}

export type PassageHit = Fused<RankedPassage>;

/** Checks a search query the same way for REST and the agent's tool. */
export function checkQuery(query: string): string {
  if (!query.trim()) throw new InvalidInputError('query must not be empty', 'empty_query');
  if (charCount(query) > MAX_QUERY_CHARS) {
    throw new InvalidInputError(`query is longer than ${MAX_QUERY_CHARS} characters`, 'query_too_long');
  }
  return query;
}

export function checkTagMode(mode: string | undefined): 'any' | 'all' {
  if (mode === undefined || mode === 'any' || mode === 'all') return mode ?? 'any';
  throw new InvalidInputError(
    `tag_match_mode must be 'any' or 'all', not '${mode}'`,
    'invalid_tag_match_mode',
  );
}

function toPortPassage(p: PassageEntity, score?: number): Passage {
  return {
    id: p.id,
    text: p.text,
    tags: p.tags ?? [],
    createdAt: p.createdAt,
    ...(score === undefined ? {} : { score }),
  };
}

/**
 * Archival memory: inserting passages (embedded outside any transaction), listing, deleting,
 * and the one hybrid search that REST (`/archival-memory/search`, `/v1/passages/search`) and the
 * agent's `archival_memory_search` tool all use.
 */
@Injectable()
export class ArchivalMemoryService {
  constructor(
    private readonly archives: ArchivesRepository,
    private readonly passages: PassagesRepository,
    private readonly agents: AgentsRepository,
    private readonly embeddings: EmbeddingsService,
  ) {}

  async agentOrThrow(p: Principal, agentId: string): Promise<AgentEntity> {
    const agent = await this.agents.findById(p.organizationId, agentId);
    if (!agent) throw new NotFoundError('Agent', agentId);
    return agent;
  }

  async archiveOrThrow(p: Principal, archiveId: string): Promise<ArchiveEntity> {
    const archive = await this.archives.findById(p.organizationId, archiveId);
    if (!archive) throw new NotFoundError('Archive', archiveId);
    return archive;
  }

  /** Inserts into the agent's archive, creating its own default archive on first use (like Letta). */
  async insertForAgent(p: Principal, agentId: string, inputs: PassageInput[]): Promise<PassageEntity[]> {
    const agent = await this.agentOrThrow(p, agentId);
    this.checkInputs(inputs);
    const handle = this.embeddings.handleOf(agent.embeddingConfig, agent.embedding);
    const config = agent.embeddingConfig ?? { ...(await this.embeddings.configFor(handle)) };
    const archive = await this.archives.defaultFor(p.organizationId, agentId, () => ({
      id: newId('archive'),
      organizationId: p.organizationId,
      name: `${agent.name}'s Archive`,
      embeddingConfig: config,
      vectorDbProvider: 'native',
      createdById: p.userId,
      lastUpdatedById: p.userId,
    }));
    if (!archive) throw new NotFoundError('Agent', agentId);
    return this.insertInto(p, archive, inputs);
  }

  async insertIntoArchive(p: Principal, archiveId: string, inputs: PassageInput[]): Promise<PassageEntity[]> {
    const archive = await this.archiveOrThrow(p, archiveId);
    this.checkInputs(inputs);
    return this.insertInto(p, archive, inputs);
  }

  async listForAgent(p: Principal, agentId: string, search: string | undefined, page: PageRequest) {
    await this.agentOrThrow(p, agentId);
    const ids = (await this.archives.ofAgent(p.organizationId, agentId)).map((a) => a.id);
    if (ids.length === 0) {
      // A cursor still has to name a passage this agent can see.
      const cursor = page.after ?? page.before;
      if (cursor !== undefined) throw new NotFoundError('Passage', cursor);
      return [];
    }
    return this.passages.list(p.organizationId, ids, search || undefined, page);
  }

  async deleteForAgent(p: Principal, agentId: string, passageId: string): Promise<void> {
    await this.agentOrThrow(p, agentId);
    const ids = (await this.archives.ofAgent(p.organizationId, agentId)).map((a) => a.id);
    const passage = await this.passages.findInArchives(p.organizationId, ids, passageId);
    if (!passage) throw new NotFoundError('Passage', passageId);
    await this.passages.deleteById(p.organizationId, passageId);
  }

  async deleteFromArchive(p: Principal, archiveId: string, passageId: string): Promise<void> {
    await this.archiveOrThrow(p, archiveId);
    const passage = await this.passages.findInArchives(p.organizationId, [archiveId], passageId);
    if (!passage) throw new NotFoundError('Passage', passageId);
    await this.passages.deleteById(p.organizationId, passageId);
  }

  /**
   * Hybrid search. `query` null lists the newest passages under the filters (POST
   * /v1/passages/search allows no query, as Letta does); every hit then has score 0 and no ranks.
   * A large scope's vector leg is approximate (HNSW); `exact` forces the exact sort (bench/archival
   * measures recall with it).
   */
  async search(
    p: Principal,
    scope: PassageScope,
    query: string | null,
    f: PassageSearchFilter,
    limit: number,
    opts: { exact?: boolean } = {},
  ): Promise<PassageHit[]> {
    if (query !== null) checkQuery(query);
    const tagMatchMode = checkTagMode(f.tagMatchMode);
    if (f.start && f.end && f.start > f.end)
      throw new InvalidInputError('start date is after end date', 'invalid_date_range');
    const archives = await this.scopeArchives(p, scope);
    if (archives.length === 0) return [];
    const filter = {
      archiveIds: archives.map((a) => a.id),
      tags: f.tags ?? undefined,
      tagMatchMode,
      start: f.start,
      end: f.end,
    };
    if (query === null) {
      const rows = await this.passages.recent(p.organizationId, filter, limit);
      return rows.map((passage) => ({
        item: { passage, id: passage.id, vectorRank: null, ftsRank: null },
        rrfScore: 0,
        vectorRank: null,
        ftsRank: null,
      }));
    }
    // One vector leg per embedding model among the archives (vectors of different models do not compare).
    const groups = new Map<string, string[]>();
    for (const a of archives) {
      const h = this.embeddings.handleOf(a.embeddingConfig);
      groups.set(h, [...(groups.get(h) ?? []), a.id]);
    }
    const legs: { dim: number; vector: number[]; archiveIds: string[] }[] = [];
    for (const [handle, archiveIds] of groups) {
      const { dim, vectors } = await this.embeddings.embed(handle, [query]);
      legs.push({ dim, vector: vectors[0], archiveIds });
    }
    const candidates = await this.passages.hybrid(
      p.organizationId,
      filter,
      (params) =>
        legs.map((l) => ({
          dim: l.dim,
          vector: l.vector,
          scope: groups.size === 1 ? 'true' : `t.archive_id = ANY(${params.add(l.archiveIds)}::text[])`,
        })),
      query,
      legDepth(limit),
      opts,
    );
    return fuse(candidates, limit);
  }

  /**
   * The agent runtime's ArchivalPort for one agent, on the same code as the REST endpoints.
   * The loop builds one per run: `archival: archivalMemory.portFor(principal, agentId)`.
   */
  portFor(p: Principal, agent: string | { id: string }): ArchivalPort {
    const agentId = typeof agent === 'string' ? agent : agent.id;
    const archiveIds = async () => (await this.archives.ofAgent(p.organizationId, agentId)).map((a) => a.id);
    return {
      insert: async (text: string, tags?: string[]) => {
        const [row] = await this.insertForAgent(p, agentId, [{ text, tags }]);
        return toPortPassage(row);
      },
      search: async (query: string, opts: ArchivalSearchOptions) => {
        const hits = await this.search(
          p,
          { agentId },
          query,
          {
            tags: opts.tags,
            tagMatchMode: opts.tagMatchMode,
            start: opts.startDatetime,
            end: opts.endDatetime,
          },
          Math.min(Math.max(opts.topK ?? 10, 1), 1000),
        );
        return hits.map((h) => toPortPassage(h.item.passage, h.rrfScore));
      },
      count: async () => this.passages.count(p.organizationId, await archiveIds()),
      listTags: async () => this.passages.distinctTags(p.organizationId, await archiveIds()),
    };
  }

  private async scopeArchives(p: Principal, scope: PassageScope): Promise<ArchiveEntity[]> {
    if (scope.agentId) {
      if (!isId('agent', scope.agentId))
        throw new InvalidInputError(`'${scope.agentId}' is not a valid agent id`, 'invalid_id');
      await this.agentOrThrow(p, scope.agentId);
      return this.archives.ofAgent(p.organizationId, scope.agentId);
    }
    if (scope.archiveId) {
      if (!isId('archive', scope.archiveId)) {
        throw new InvalidInputError(`'${scope.archiveId}' is not a valid archive id`, 'invalid_id');
      }
      return [await this.archiveOrThrow(p, scope.archiveId)];
    }
    return this.archives.all(p.organizationId);
  }

  private checkInputs(inputs: PassageInput[]): void {
    for (const input of inputs) {
      if (typeof input.text !== 'string' || !input.text.trim()) {
        throw new InvalidInputError('text must not be empty', 'empty_text');
      }
      if (charCount(input.text) > MAX_TEXT_CHARS) {
        throw new InvalidInputError(`text is longer than ${MAX_TEXT_CHARS} characters`, 'text_too_long');
      }
    }
  }

  /** Embeds first (no transaction open during the model call), then inserts in one transaction. */
  private async insertInto(
    p: Principal,
    archive: ArchiveEntity,
    inputs: PassageInput[],
  ): Promise<PassageEntity[]> {
    if (inputs.length === 0) return [];
    const handle = this.embeddings.handleOf(archive.embeddingConfig);
    const { vectors } = await this.embeddings.embed(
      handle,
      inputs.map((i) => i.text),
    );
    return this.passages.insertMany(
      p.organizationId,
      inputs.map((input, i) => ({
        id: newId('passage'),
        archiveId: archive.id,
        text: input.text,
        tags: [...new Set(input.tags ?? [])],
        metadata: input.metadata ?? null,
        embedding: vectors[i],
        embeddingConfig: archive.embeddingConfig,
        createdAt: input.createdAt ?? null,
        createdById: p.userId,
      })),
    );
  }
}
