import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { camelRow, preparedRead } from '../database/prepared';
import { ToolAgentEntity, ToolEntity } from './tool.entity';

export interface ToolFilter {
  name?: string;
  names?: string[];
  ids?: string[];
  search?: string;
  toolTypes?: string[];
  excludeToolTypes?: string[];
  onlyLetta?: boolean;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

@Injectable()
export class ToolsRepository extends TenantRepository<ToolEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(ToolEntity));
  }

  findByNames(organizationId: string, names: string[]): Promise<ToolEntity[]> {
    if (names.length === 0) return Promise.resolve([]);
    return this.scoped(organizationId, 't').andWhere('t.name = ANY(:names)', { names }).getMany();
  }

  findByName(organizationId: string, name: string): Promise<ToolEntity | null> {
    return this.repo.findOneBy({ organizationId, name });
  }

  list(organizationId: string, filter: ToolFilter, page: PageRequest): Promise<ToolEntity[]> {
    return paginate(this.filtered(organizationId, filter), 't', page, 'Tool');
  }

  count(organizationId: string, filter: ToolFilter): Promise<number> {
    return this.filtered(organizationId, filter).getCount();
  }

  /**
   * Full-text search over name and description (names split on '_' by the parser), best first;
   * a query with no lexemes falls back to a substring match on the name.
   */
  async search(
    organizationId: string,
    query: string | undefined,
    filter: { tags?: string[]; toolTypes?: string[] },
    limit: number,
  ): Promise<Array<{ tool: ToolEntity; rank: number }>> {
    const qb = this.filtered(organizationId, { toolTypes: filter.toolTypes });
    if (filter.tags?.length) qb.andWhere('t.tags && :tags', { tags: filter.tags });
    const doc = `to_tsvector('english', replace(t.name, '_', ' ') || ' ' || coalesce(t.description, ''))`;
    if (query?.trim()) {
      qb.addSelect(`ts_rank(${doc}, websearch_to_tsquery('english', :q))`, 'rank')
        .andWhere(`(${doc} @@ websearch_to_tsquery('english', :q) OR t.name ILIKE :like)`, {
          q: query,
          like: `%${escapeLike(query.trim())}%`,
        })
        .orderBy('rank', 'DESC');
    } else {
      qb.addSelect('0', 'rank').orderBy('t.created_at', 'DESC');
    }
    const { entities, raw } = await qb.addOrderBy('t.id', 'ASC').limit(limit).getRawAndEntities();
    return entities.map((tool, i) => ({ tool, rank: Number((raw[i] as { rank?: unknown }).rank ?? 0) }));
  }

  async insert(row: Partial<ToolEntity>): Promise<ToolEntity> {
    await this.repo.insert(row as QueryDeepPartialEntity<ToolEntity>);
    return this.repo.findOneByOrFail({ organizationId: row.organizationId!, id: row.id! });
  }

  async updateById(
    organizationId: string,
    id: string,
    patch: Partial<ToolEntity>,
  ): Promise<ToolEntity | null> {
    await this.repo.update({ organizationId, id }, patch as QueryDeepPartialEntity<ToolEntity>);
    return this.findById(organizationId, id);
  }

  private filtered(organizationId: string, f: ToolFilter) {
    const qb = this.scoped(organizationId, 't');
    if (f.name !== undefined) qb.andWhere('t.name = :name', { name: f.name });
    if (f.names?.length) qb.andWhere('t.name = ANY(:names)', { names: f.names });
    if (f.ids?.length) qb.andWhere('t.id = ANY(:ids)', { ids: f.ids });
    if (f.search) qb.andWhere('t.name ILIKE :search', { search: `%${escapeLike(f.search)}%` });
    if (f.toolTypes?.length) qb.andWhere('t.tool_type = ANY(:types)', { types: f.toolTypes });
    if (f.excludeToolTypes?.length)
      qb.andWhere('NOT (t.tool_type = ANY(:excluded))', { excluded: f.excludeToolTypes });
    if (f.onlyLetta) qb.andWhere(`t.tool_type LIKE 'letta\\_%'`);
    return qb;
  }

  /** Inserts tools that do not exist yet (by name) and refreshes the given fields of those that do. */
  async upsertByName(rows: Partial<ToolEntity>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.repo
      .createQueryBuilder()
      .insert()
      .values(rows as QueryDeepPartialEntity<ToolEntity>[])
      .orUpdate(
        ['description', 'json_schema', 'tool_type', 'return_char_limit', 'updated_at'],
        ['organization_id', 'name'],
      )
      .execute();
  }

  /** An agent's tools in the order they were attached, for a batch of agents. */
  /** An agent's tools as a JSON array, as a subquery over the agent row `a` (agent-state statement). */
  static readonly AGENT_TOOLS_JSON = `COALESCE((SELECT json_agg(t.* ORDER BY ta.position)
     FROM tools_agents ta JOIN tools t ON t.id = ta.tool_id WHERE ta.agent_id = a.id), '[]')`;

  /** The tools of `AGENT_TOOLS_JSON`'s value. */
  fromJson(value: unknown): ToolEntity[] {
    return (value as Record<string, unknown>[]).map((t) =>
      this.repo.create(camelRow(t) as Partial<ToolEntity>),
    );
  }

  async forAgents(organizationId: string, agentIds: string[]): Promise<Map<string, ToolEntity[]>> {
    const result = new Map<string, ToolEntity[]>(agentIds.map((id) => [id, []]));
    if (agentIds.length === 0) return result;
    // Hot path of every agent read and every step: a prepared statement, no ORM hydration.
    const rows = await preparedRead<Record<string, unknown>>(
      this.ds,
      'engram_agent_tools',
      `SELECT ta.agent_id AS _agent_id, t.*
       FROM tools_agents ta JOIN tools t ON t.id = ta.tool_id
       WHERE ta.organization_id = $1 AND ta.agent_id = ANY($2)
       ORDER BY ta.position`,
      [organizationId, agentIds],
    );
    for (const { _agent_id, ...tool } of rows) {
      result.get(_agent_id as string)?.push(this.repo.create(camelRow(tool) as Partial<ToolEntity>));
    }
    return result;
  }

  /** Links tools to an agent (already-linked ones are skipped), optionally inside a transaction. */
  async attach(organizationId: string, agentId: string, toolIds: string[], m?: EntityManager): Promise<void> {
    if (toolIds.length === 0) return;
    await (m ?? this.ds.manager)
      .createQueryBuilder()
      .insert()
      .into(ToolAgentEntity)
      .values(toolIds.map((toolId) => ({ organizationId, agentId, toolId })))
      .orIgnore()
      .execute();
  }

  async detach(organizationId: string, agentId: string, toolId: string): Promise<boolean> {
    const r = await this.ds.getRepository(ToolAgentEntity).delete({ organizationId, agentId, toolId });
    return (r.affected ?? 0) > 0;
  }
}
