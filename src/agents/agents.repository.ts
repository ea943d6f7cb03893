import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { CreateRows } from './agent-extensions';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PageRequest, paginate } from '../common/pagination';
import { insertValuesSql } from '../database/insert-sql';
import { camelRow, preparedRead } from '../database/prepared';
import { TenantRepository } from '../common/tenant.repository';
import { BlockAgentEntity, BlockEntity } from '../memory/block.entity';
import { AgentEntity, AgentTagEntity } from './agent.entity';

export interface AgentFilter {
  name?: string;
  tags?: string[];
  matchAllTags?: boolean;
  queryText?: string;
  projectId?: string;
  templateId?: string;
  baseTemplateId?: string;
  createdById?: string;
  lastStopReason?: string;
  /** Only agents that have this block attached. */
  blockId?: string;
  /** Only agents linked to this identity... */
  identityId?: string;
  /** ...or to an identity with one of these identifier keys. */
  identifierKeys?: string[];
}

/** An agent row with the relations every AgentState shows, read in one query. */
export interface AgentWithRelations {
  agent: AgentEntity;
  blocks: BlockEntity[];
  tags: string[];
  /** The value of each of the query's `parts`, in order. */
  parts: unknown[];
}

/** What the agent-state statement reads besides the agent row: `parts` are correlated subqueries over `a`. */
export interface StateQuery {
  blocks: boolean;
  tags: boolean;
  parts: string[];
}

export interface NewAgent {
  agent: Partial<AgentEntity> & { id: string; organizationId: string };
  tags: string[];
  newBlocks: (Partial<BlockEntity> & { id: string; label: string })[];
  existingBlocks: BlockEntity[];
  /** Other domains' rows (AgentExtension.createRows), inserted in the same statement. */
  rows?: CreateRows[];
}

@Injectable()
export class AgentsRepository extends TenantRepository<AgentEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(AgentEntity));
  }

  /**
   * Inserts an agent with its tags, new blocks and block links in one statement (a
   * data-modifying CTE) and returns the stored row. `extra` (the extensions' writes) runs in
   * the same transaction, after it.
   */
  async create(
    input: NewAgent,
    extra?: (m: EntityManager, agent: AgentEntity) => Promise<void>,
  ): Promise<AgentEntity> {
    const { agent, tags, newBlocks, existingBlocks } = input;
    const { organizationId, id: agentId } = agent;
    const params: unknown[] = [];
    const parts = [`ins_agent AS (${insertValuesSql(this.repo.metadata, [agent], params, '*')})`];
    if (newBlocks.length)
      parts.push(`ins_blocks AS (${insertValuesSql(this.ds.getMetadata(BlockEntity), newBlocks, params)})`);
    const links = [...newBlocks, ...existingBlocks].map((b) => ({
      organizationId,
      agentId,
      blockId: b.id,
      blockLabel: b.label,
    }));
    if (links.length)
      parts.push(`ins_links AS (${insertValuesSql(this.ds.getMetadata(BlockAgentEntity), links, params)})`);
    const unique = [...new Set(tags)];
    if (unique.length)
      parts.push(
        `ins_tags AS (${insertValuesSql(
          this.ds.getMetadata(AgentTagEntity),
          unique.map((tag) => ({ organizationId, agentId, tag })),
          params,
        )})`,
      );
    (input.rows ?? []).forEach((r, i) =>
      parts.push(
        `ins_ext${i} AS (${insertValuesSql(this.ds.getMetadata(r.entity), r.rows as Record<string, unknown>[], params)})`,
      ),
    );
    const sql = `WITH ${parts.join(',\n')} SELECT * FROM ins_agent`;
    const insert = async (m: EntityManager) => {
      const [row] = (await m.query(sql, params)) as Record<string, unknown>[];
      return this.repo.create(camelRow(row) as Partial<AgentEntity>);
    };
    // One statement is atomic on its own; a transaction only when more writes follow it.
    if (!extra) return insert(this.ds.manager);
    return this.ds.transaction(async (m) => {
      const created = await insert(m);
      await extra(m, created);
      return created;
    });
  }

  /**
   * What a send needs of the agent before its run exists: its model (not the row's history of
   * message ids or its system prompt, which grow). Prepared, no ORM hydration.
   */
  async findModel(
    organizationId: string,
    id: string,
  ): Promise<Pick<AgentEntity, 'id' | 'model' | 'llmConfig'> | null> {
    const [row] = await preparedRead<Record<string, unknown>>(
      this.ds,
      'engram_agent_model',
      'SELECT id, model, llm_config FROM agents WHERE organization_id = $1 AND id = $2',
      [organizationId, id],
    );
    return row ? (camelRow(row) as Pick<AgentEntity, 'id' | 'model' | 'llmConfig'>) : null;
  }

  /** The agent row through a prepared statement, without ORM hydration. */
  override async findById(organizationId: string, id: string): Promise<AgentEntity | null> {
    const [row] = await preparedRead<Record<string, unknown>>(
      this.ds,
      'engram_agent_row',
      'SELECT * FROM agents WHERE organization_id = $1 AND id = $2',
      [organizationId, id],
    );
    return row ? this.repo.create(camelRow(row) as Partial<AgentEntity>) : null;
  }

  list(organizationId: string, f: AgentFilter, page: PageRequest): Promise<AgentEntity[]> {
    return paginate(this.filtered(organizationId, f), 'a', page, 'Agent');
  }

  /**
   * The ids of one page of the tenant's agents (filters as `list`), read from the
   * (organization_id, created_at, id) index alone: the states follow in one statement.
   */
  async listIds(organizationId: string, f: AgentFilter, page: PageRequest): Promise<string[]> {
    const qb = this.filtered(organizationId, f).select(['a.id', 'a.createdAt']);
    return (await paginate(qb, 'a', page, 'Agent')).map((a) => a.id);
  }

  private filtered(organizationId: string, f: AgentFilter) {
    const qb = this.scoped(organizationId, 'a');
    if (f.name !== undefined) qb.andWhere('a.name = :name', { name: f.name });
    if (f.queryText) {
      qb.andWhere('a.name ILIKE :q', { q: `%${f.queryText.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    }
    if (f.projectId !== undefined) qb.andWhere('a.project_id = :projectId', { projectId: f.projectId });
    if (f.templateId !== undefined) qb.andWhere('a.template_id = :templateId', { templateId: f.templateId });
    if (f.baseTemplateId !== undefined) qb.andWhere('a.base_template_id = :bt', { bt: f.baseTemplateId });
    if (f.createdById !== undefined) qb.andWhere('a.created_by_id = :cb', { cb: f.createdById });
    if (f.lastStopReason !== undefined) qb.andWhere('a.last_stop_reason = :lsr', { lsr: f.lastStopReason });
    if (f.blockId !== undefined) {
      qb.andWhere(
        'EXISTS (SELECT 1 FROM blocks_agents ba WHERE ba.agent_id = a.id AND ba.block_id = :blockId)',
        {
          blockId: f.blockId,
        },
      );
    }
    if (f.identityId !== undefined)
      qb.andWhere(
        'EXISTS (SELECT 1 FROM identities_agents ia WHERE ia.agent_id = a.id AND ia.identity_id = :identityId)',
        { identityId: f.identityId },
      );
    if (f.identifierKeys?.length)
      qb.andWhere(
        `EXISTS (SELECT 1 FROM identities_agents ia JOIN identities i ON i.id = ia.identity_id
                 WHERE ia.agent_id = a.id AND i.identifier_key = ANY(:identifierKeys))`,
        { identifierKeys: f.identifierKeys },
      );
    if (f.tags?.length) {
      const tags = [...new Set(f.tags)];
      qb.andWhere(
        `(SELECT count(DISTINCT t.tag) FROM agent_tags t WHERE t.agent_id = a.id AND t.tag = ANY(:tags)) ${
          f.matchAllTags ? '= :tagCount' : '>= 1'
        }`,
        { tags, tagCount: tags.length },
      );
    }
    return qb;
  }

  /**
   * Agents with their blocks (attachment order), tags and the extensions' parts (tools,
   * identities, secrets...) in a single statement: the hot path of GET /v1/agents/:id and of
   * every list. Each relation left out of `want` is not read at all. Rows come back in the
   * order of `ids`.
   */
  async findWithRelations(
    organizationId: string,
    ids: string[],
    want: StateQuery = { blocks: true, tags: true, parts: [] },
  ): Promise<AgentWithRelations[]> {
    if (ids.length === 0) return [];
    const columns = [
      want.blocks
        ? `COALESCE((SELECT json_agg(b.* ORDER BY ba.position)
                     FROM blocks_agents ba JOIN blocks b ON b.id = ba.block_id
                     WHERE ba.agent_id = a.id), '[]') AS _blocks`
        : `'[]'::json AS _blocks`,
      want.tags
        ? `COALESCE((SELECT array_agg(t.tag ORDER BY t.tag) FROM agent_tags t WHERE t.agent_id = a.id), '{}') AS _tags`
        : `'{}'::text[] AS _tags`,
      ...want.parts.map((sql, i) => `(${sql}) AS _part${i}`),
    ];
    const text = `SELECT a.*, ${columns.join(',\n')}
       FROM agents a
       WHERE a.organization_id = $1 AND a.id = ANY($2)`;
    const name = `engram_agent_state_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    const rows = await preparedRead<Record<string, unknown>>(this.ds, name, text, [organizationId, ids]);
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    return ids
      .map((id) => byId.get(id))
      .filter((r): r is Record<string, unknown> => r !== undefined)
      .map((r) => {
        const { _blocks, _tags, ...rest } = r;
        const parts = want.parts.map((_, i) => rest[`_part${i}`]);
        const agent = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('_part')));
        return {
          agent: this.repo.create(camelRow(agent) as Partial<AgentEntity>),
          blocks: (_blocks as Record<string, unknown>[]).map((b) => camelRow(b) as unknown as BlockEntity),
          tags: _tags as string[],
          parts,
        };
      });
  }

  count(organizationId: string): Promise<number> {
    return this.repo.countBy({ organizationId });
  }

  async update(
    organizationId: string,
    id: string,
    patch: Partial<AgentEntity>,
    tags?: string[],
  ): Promise<void> {
    await this.ds.transaction(async (m) => {
      if (Object.keys(patch).length)
        await m
          .getRepository(AgentEntity)
          .update({ organizationId, id }, patch as QueryDeepPartialEntity<AgentEntity>);
      if (tags) {
        await m.getRepository(AgentTagEntity).delete({ organizationId, agentId: id });
        await this.insertTags(m, organizationId, id, tags);
      }
    });
  }

  /** Distinct tags of the tenant's agents, keyset-paginated by the tag itself. */
  async distinctTags(
    organizationId: string,
    opts: { after?: string; before?: string; limit: number; text?: string; order: 'asc' | 'desc' },
  ): Promise<string[]> {
    const qb = this.ds
      .getRepository(AgentTagEntity)
      .createQueryBuilder('t')
      .select('DISTINCT t.tag', 'tag')
      .where('t.organization_id = :organizationId', { organizationId });
    if (opts.text)
      qb.andWhere('t.tag ILIKE :text', { text: `%${opts.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    const forward = opts.before === undefined;
    const asc = opts.order === 'asc';
    if (opts.after !== undefined) qb.andWhere(`t.tag ${asc ? '>' : '<'} :after`, { after: opts.after });
    if (opts.before !== undefined) qb.andWhere(`t.tag ${asc ? '<' : '>'} :before`, { before: opts.before });
    const fetchAsc = forward ? asc : !asc;
    const rows = await qb
      .orderBy('t.tag', fetchAsc ? 'ASC' : 'DESC')
      .limit(opts.limit)
      .getRawMany<{ tag: string }>();
    const tags = rows.map((r) => r.tag);
    return forward ? tags : tags.reverse();
  }

  private async insertTags(m: EntityManager, organizationId: string, agentId: string, tags: string[]) {
    const unique = [...new Set(tags)];
    if (unique.length === 0) return;
    await m.getRepository(AgentTagEntity).insert(unique.map((tag) => ({ organizationId, agentId, tag })));
  }
}
