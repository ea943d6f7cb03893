import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { camelRow } from '../database/prepared';
import {
  IdentityAgentEntity,
  IdentityBlockEntity,
  IdentityEntity,
  IdentityType,
  IdentityWithLinks,
} from './identity.entity';

export interface IdentityFilter {
  /** Part of the name (case-insensitive). */
  name?: string;
  projectId?: string;
  identifierKey?: string;
  identityType?: IdentityType;
}

/** How a write changes an identity's links: `replace` sets exactly these, `add` keeps the old ones too. */
export interface LinkChange {
  mode: 'replace' | 'add';
  ids: string[];
}

export interface IdentityWrite {
  row: Partial<IdentityEntity> & { id: string; organizationId: string };
  agents?: LinkChange;
  blocks?: LinkChange;
}

@Injectable()
export class IdentitiesRepository extends TenantRepository<IdentityEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(IdentityEntity));
  }

  list(organizationId: string, f: IdentityFilter, page: PageRequest): Promise<IdentityEntity[]> {
    const qb = this.scoped(organizationId, 'i');
    if (f.name)
      qb.andWhere('i.name ILIKE :name', { name: `%${f.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    if (f.projectId !== undefined) qb.andWhere('i.project_id = :pid', { pid: f.projectId });
    if (f.identifierKey !== undefined) qb.andWhere('i.identifier_key = :key', { key: f.identifierKey });
    if (f.identityType !== undefined) qb.andWhere('i.identity_type = :type', { type: f.identityType });
    return paginate(qb, 'i', page, 'Identity');
  }

  count(organizationId: string): Promise<number> {
    return this.repo.countBy({ organizationId });
  }

  /** The identity of this key in this project (`null`: none), as Letta's upsert looks it up. */
  findByKey(organizationId: string, identifierKey: string, projectId: string | null) {
    return this.scoped(organizationId, 'i')
      .andWhere('i.identifier_key = :identifierKey', { identifierKey })
      .andWhere('i.project_id IS NOT DISTINCT FROM :projectId', { projectId })
      .getOne();
  }

  /** Inserts or updates the identity row and changes its links, in one transaction. */
  async save(write: IdentityWrite, insert: boolean): Promise<void> {
    const { row } = write;
    await this.ds.transaction(async (m) => {
      const repo = m.getRepository(IdentityEntity);
      if (insert) await repo.insert(row as QueryDeepPartialEntity<IdentityEntity>);
      else {
        const { id, organizationId, ...patch } = row;
        await repo.update({ organizationId, id }, patch as QueryDeepPartialEntity<IdentityEntity>);
      }
      if (write.agents) await this.relink(m, IdentityAgentEntity, 'agentId', row, write.agents);
      if (write.blocks) await this.relink(m, IdentityBlockEntity, 'blockId', row, write.blocks);
    });
  }

  /** Identities with their linked agent and block ids, in the order of `identities`. */
  async withLinks(organizationId: string, identities: IdentityEntity[]): Promise<IdentityWithLinks[]> {
    if (identities.length === 0) return [];
    const ids = identities.map((i) => i.id);
    const [agents, blocks] = await Promise.all([
      this.ds.getRepository(IdentityAgentEntity).findBy({ organizationId, identityId: In(ids) }),
      this.ds.getRepository(IdentityBlockEntity).findBy({ organizationId, identityId: In(ids) }),
    ]);
    return identities.map((identity) => ({
      identity,
      agentIds: agents.filter((a) => a.identityId === identity.id).map((a) => a.agentId),
      blockIds: blocks.filter((b) => b.identityId === identity.id).map((b) => b.blockId),
    }));
  }

  /**
   * An agent's identities (each with all its links) as a JSON array, oldest first, as a
   * subquery over the agent row `a` (the agent-state statement).
   */
  static readonly AGENT_IDENTITIES_JSON = `COALESCE((SELECT json_agg(json_build_object(
       'identity', to_json(i.*),
       'agent_ids', ARRAY(SELECT x.agent_id FROM identities_agents x WHERE x.identity_id = i.id),
       'block_ids', ARRAY(SELECT x.block_id FROM identities_blocks x WHERE x.identity_id = i.id))
       ORDER BY i.created_at, i.id)
     FROM identities_agents ia JOIN identities i ON i.id = ia.identity_id
     WHERE ia.agent_id = a.id), '[]')`;

  /** The identities of `AGENT_IDENTITIES_JSON`'s value. */
  fromJson(value: unknown): IdentityWithLinks[] {
    return (value as { identity: Record<string, unknown>; agent_ids: string[]; block_ids: string[] }[]).map(
      (r) => ({
        identity: this.repo.create(camelRow(r.identity) as Partial<IdentityEntity>),
        agentIds: r.agent_ids,
        blockIds: r.block_ids,
      }),
    );
  }

  /** Links an agent to identities inside the caller's transaction (agent creation). */
  async linkAgent(m: EntityManager, organizationId: string, agentId: string, identityIds: string[]) {
    if (identityIds.length === 0) return;
    await m
      .getRepository(IdentityAgentEntity)
      .createQueryBuilder()
      .insert()
      .values(identityIds.map((identityId) => ({ organizationId, identityId, agentId })))
      .orIgnore()
      .execute();
  }

  /** Sets an agent's identities to exactly these (PATCH identity_ids). */
  async replaceForAgent(organizationId: string, agentId: string, identityIds: string[]): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.getRepository(IdentityAgentEntity).delete({ organizationId, agentId });
      await this.linkAgent(m, organizationId, agentId, identityIds);
    });
  }

  async attachAgent(organizationId: string, identityId: string, agentId: string): Promise<void> {
    await this.linkAgent(this.ds.manager, organizationId, agentId, [identityId]);
  }

  async detachAgent(organizationId: string, identityId: string, agentId: string): Promise<void> {
    await this.ds.getRepository(IdentityAgentEntity).delete({ organizationId, identityId, agentId });
  }

  private async relink(
    m: EntityManager,
    entity: typeof IdentityAgentEntity | typeof IdentityBlockEntity,
    column: 'agentId' | 'blockId',
    row: { id: string; organizationId: string },
    change: LinkChange,
  ): Promise<void> {
    const repo = m.getRepository(entity);
    const { organizationId, id: identityId } = row;
    if (change.mode === 'replace') await repo.delete({ organizationId, identityId });
    const ids = [...new Set(change.ids)];
    if (ids.length === 0) return;
    await repo
      .createQueryBuilder()
      .insert()
      .values(ids.map((x) => ({ organizationId, identityId, [column]: x })))
      .orIgnore()
      .execute();
  }
}
