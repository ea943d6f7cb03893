import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { SourceAgentEntity, SourceEntity } from './source.entity';

/** What the agent-state statement reads for one agent (`a`): its folders and file views. */
export interface AgentFolderState {
  sources: Array<Record<string, unknown>>;
  views: Array<{
    id: string;
    file_id: string;
    source_id: string;
    file_name: string;
    is_open: boolean;
    visible_content: string | null;
    last_accessed_at: string;
  }>;
  max_files_open: number | null;
  per_file_view_window_char_limit: number | null;
  context_window: number | null;
}

@Injectable()
export class SourcesRepository extends TenantRepository<SourceEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(SourceEntity));
  }

  /** A correlated subquery over the agent row `a` (see AgentStatePart): AgentFolderState as JSON. */
  static readonly AGENT_FOLDERS_JSON = `(SELECT json_build_object(
      'sources', COALESCE((SELECT json_agg(row_to_json(s) ORDER BY sa.created_at, s.id)
        FROM sources_agents sa JOIN sources s ON s.id = sa.source_id WHERE sa.agent_id = a.id), '[]'::json),
      'views', COALESCE((SELECT json_agg(json_build_object('id', fa.id, 'file_id', fa.file_id,
          'source_id', fa.source_id, 'file_name', fa.file_name, 'is_open', fa.is_open,
          'visible_content', fa.visible_content, 'last_accessed_at', fa.last_accessed_at)
        ORDER BY fa.file_name, fa.id) FROM files_agents fa WHERE fa.agent_id = a.id), '[]'::json),
      'max_files_open', a.max_files_open,
      'per_file_view_window_char_limit', a.per_file_view_window_char_limit,
      'context_window', a.llm_config->'context_window'))`;

  /** A folder row as the agent-state JSON carries it. */
  static fromJson(r: Record<string, unknown>): SourceEntity {
    return Object.assign(new SourceEntity(), {
      id: r.id,
      organizationId: r.organization_id,
      name: r.name,
      description: r.description,
      instructions: r.instructions,
      metadata: r.metadata,
      embeddingConfig: r.embedding_config,
      createdById: r.created_by_id,
      lastUpdatedById: r.last_updated_by_id,
      createdAt: new Date(r.created_at as string),
      updatedAt: new Date(r.updated_at as string),
    } as SourceEntity);
  }

  async insert(row: Partial<SourceEntity>): Promise<void> {
    await this.repo.insert(row as QueryDeepPartialEntity<SourceEntity>);
  }

  async update(organizationId: string, id: string, patch: Partial<SourceEntity>) {
    await this.repo.update({ organizationId, id }, patch as QueryDeepPartialEntity<SourceEntity>);
  }

  list(organizationId: string, name: string | undefined, page: PageRequest): Promise<SourceEntity[]> {
    const qb = this.scoped(organizationId, 's');
    if (name !== undefined) qb.andWhere('s.name = :name', { name });
    return paginate(qb, 's', page, 'Folder');
  }

  count(organizationId: string): Promise<number> {
    return this.repo.countBy({ organizationId });
  }

  /** The folders attached to an agent, paged. */
  forAgent(organizationId: string, agentId: string, page: PageRequest): Promise<SourceEntity[]> {
    const qb = this.scoped(organizationId, 's').andWhere(
      's.id IN (SELECT sa.source_id FROM sources_agents sa WHERE sa.agent_id = :agentId)',
      { agentId },
    );
    return paginate(qb, 's', page, 'Folder');
  }

  /** For each agent, its attached folders (oldest attachment first). */
  async forAgents(organizationId: string, agentIds: string[]): Promise<Map<string, SourceEntity[]>> {
    const out = new Map<string, SourceEntity[]>();
    if (agentIds.length === 0) return out;
    const links = await this.ds
      .getRepository(SourceAgentEntity)
      .find({ where: { organizationId, agentId: In(agentIds) }, order: { createdAt: 'ASC' } });
    if (links.length === 0) return out;
    const sources = new Map(
      (await this.findByIds(organizationId, [...new Set(links.map((l) => l.sourceId))])).map((s) => [
        s.id,
        s,
      ]),
    );
    for (const l of links) {
      const s = sources.get(l.sourceId);
      if (s) out.set(l.agentId, [...(out.get(l.agentId) ?? []), s]);
    }
    return out;
  }

  /** Agent ids a folder is attached to, paged by the agents' creation. */
  async agentIds(organizationId: string, sourceId: string, page: PageRequest): Promise<string[]> {
    const qb = this.ds
      .createQueryBuilder()
      .select('a.id', 'id')
      .from('agents', 'a')
      .innerJoin('sources_agents', 'sa', 'sa.agent_id = a.id')
      .where('a.organization_id = :organizationId AND sa.source_id = :sourceId', {
        organizationId,
        sourceId,
      });
    const desc = page.order === 'desc';
    const cursor = page.after ?? page.before;
    if (cursor) {
      const greater = (page.before === undefined) !== desc;
      qb.andWhere(
        `(a.created_at, a.id) ${greater ? '>' : '<'} (SELECT c.created_at, c.id FROM agents c WHERE c.id = :cursor AND c.organization_id = :organizationId)`,
        { cursor },
      );
    }
    const fetchDesc = page.before === undefined ? desc : !desc;
    const dir = fetchDesc ? 'DESC' : 'ASC';
    const rows: Array<{ id: string }> = await qb
      .orderBy('a.created_at', dir)
      .addOrderBy('a.id', dir)
      .limit(page.limit)
      .getRawMany();
    const ids = rows.map((r) => r.id);
    return page.before === undefined ? ids : ids.reverse();
  }

  /** Every agent a folder is attached to. */
  async allAgentIds(organizationId: string, sourceId: string): Promise<string[]> {
    const rows = await this.ds.getRepository(SourceAgentEntity).findBy({ organizationId, sourceId });
    return rows.map((r) => r.agentId);
  }

  async isAttached(organizationId: string, agentId: string, sourceId: string): Promise<boolean> {
    return this.ds.getRepository(SourceAgentEntity).existsBy({ organizationId, agentId, sourceId });
  }

  async attach(
    m: EntityManager,
    organizationId: string,
    agentId: string,
    sourceIds: string[],
  ): Promise<void> {
    if (sourceIds.length === 0) return;
    await m
      .getRepository(SourceAgentEntity)
      .createQueryBuilder()
      .insert()
      .values(sourceIds.map((sourceId) => ({ organizationId, agentId, sourceId })))
      .orIgnore()
      .execute();
  }

  /** Detaches a folder and removes the agent's view of its files, in one transaction. */
  async detach(organizationId: string, agentId: string, sourceId: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.getRepository(SourceAgentEntity).delete({ organizationId, agentId, sourceId });
      await m.query(
        `DELETE FROM files_agents WHERE organization_id = $1 AND agent_id = $2 AND source_id = $3`,
        [organizationId, agentId, sourceId],
      );
    });
  }

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }
}
