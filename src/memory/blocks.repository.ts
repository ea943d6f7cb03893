import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantRepository } from '../common/tenant.repository';
import { PageRequest, paginate } from '../common/pagination';
import { BlockAgentEntity, BlockEntity } from './block.entity';
import { camelRow } from '../database/prepared';

export interface BlockFilter {
  label?: string;
  templatesOnly?: boolean;
  templateName?: string;
  projectId?: string;
  tags?: string[];
  matchAllTags?: boolean;
  labelSearch?: string;
  valueSearch?: string;
  descriptionSearch?: string;
  connectedGt?: number;
  connectedLt?: number;
  connectedEq?: number[];
  /** Only blocks linked to this identity, or to an identity with one of these identifier keys. */
  identityId?: string;
  identifierKeys?: string[];
}

@Injectable()
export class BlocksRepository extends TenantRepository<BlockEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(BlockEntity));
  }

  async list(organizationId: string, f: BlockFilter, page: PageRequest): Promise<BlockEntity[]> {
    const qb = this.scoped(organizationId, 'b');
    if (f.label !== undefined) qb.andWhere('b.label = :label', { label: f.label });
    if (f.templatesOnly) qb.andWhere('b.is_template = true');
    if (f.templateName !== undefined) qb.andWhere('b.template_name = :tn', { tn: f.templateName });
    if (f.projectId !== undefined) qb.andWhere('b.project_id = :pid', { pid: f.projectId });
    if (f.tags?.length) {
      qb.andWhere(f.matchAllTags ? 'b.tags @> :tags' : 'b.tags && :tags', { tags: f.tags });
    }
    const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    if (f.labelSearch) qb.andWhere('b.label ILIKE :ls', { ls: like(f.labelSearch) });
    if (f.valueSearch) qb.andWhere('b.value ILIKE :vs', { vs: like(f.valueSearch) });
    if (f.descriptionSearch) qb.andWhere('b.description ILIKE :ds', { ds: like(f.descriptionSearch) });
    const count = '(SELECT count(*) FROM blocks_agents ba WHERE ba.block_id = b.id)';
    if (f.connectedGt !== undefined) qb.andWhere(`${count} > :cgt`, { cgt: f.connectedGt });
    if (f.connectedLt !== undefined) qb.andWhere(`${count} < :clt`, { clt: f.connectedLt });
    if (f.connectedEq?.length) qb.andWhere(`${count} = ANY(:ceq)`, { ceq: f.connectedEq });
    if (f.identityId !== undefined)
      qb.andWhere(
        'EXISTS (SELECT 1 FROM identities_blocks ib WHERE ib.block_id = b.id AND ib.identity_id = :iid)',
        { iid: f.identityId },
      );
    if (f.identifierKeys?.length)
      qb.andWhere(
        `EXISTS (SELECT 1 FROM identities_blocks ib JOIN identities i ON i.id = ib.identity_id
                 WHERE ib.block_id = b.id AND i.identifier_key = ANY(:ikeys))`,
        { ikeys: f.identifierKeys },
      );
    return paginate(qb, 'b', page, 'Block');
  }

  insert(block: Partial<BlockEntity>): Promise<BlockEntity> {
    return this.repo.save(this.repo.create(block));
  }

  /** Saves changed fields; a label change is mirrored on the agent links in the same transaction. */
  async update(organizationId: string, id: string, patch: Partial<BlockEntity>): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m
        .getRepository(BlockEntity)
        .update({ organizationId, id }, patch as QueryDeepPartialEntity<BlockEntity>);
      if (patch.label !== undefined) {
        await m
          .getRepository(BlockAgentEntity)
          .update({ organizationId, blockId: id }, { blockLabel: patch.label });
      }
    });
  }

  /** An agent's blocks in the order they were attached. */
  async forAgents(organizationId: string, agentIds: string[]): Promise<Map<string, BlockEntity[]>> {
    const result = new Map<string, BlockEntity[]>(agentIds.map((id) => [id, []]));
    if (agentIds.length === 0) return result;
    const rows = await this.repo
      .createQueryBuilder('b')
      .innerJoin(BlockAgentEntity, 'ba', 'ba.block_id = b.id')
      .addSelect('ba.agent_id', 'ba_agent_id')
      .addSelect('ba.block_id', 'ba_block_id')
      .where('ba.organization_id = :organizationId AND ba.agent_id = ANY(:agentIds)', {
        organizationId,
        agentIds,
      })
      .orderBy('ba.position', 'ASC')
      .getRawAndEntities();
    // A block shared by several agents is one entity but several raw rows: join by id.
    const byId = new Map(rows.entities.map((b) => [b.id, b]));
    for (const raw of rows.raw as { ba_agent_id: string; ba_block_id: string }[]) {
      const block = byId.get(raw.ba_block_id);
      if (block) result.get(raw.ba_agent_id)?.push(block);
    }
    return result;
  }

  /**
   * A memory edit in one statement: the value of the block the agent has under `label`, set
   * when it fits the block's limit (counted in characters, as `charCount` does). `updated` is
   * the new row; null with `block` set when the value did not fit, with both null when the agent
   * has no such block.
   */
  async setValueForAgent(
    organizationId: string,
    agentId: string,
    label: string,
    value: string,
    userId: string | null,
  ): Promise<{ updated: BlockEntity | null; block: { limit: number; label: string } | null }> {
    const [row] = (await this.ds.query(
      `WITH target AS (
         SELECT b.id, b."limit", b.label FROM blocks_agents ba JOIN blocks b ON b.id = ba.block_id
         WHERE ba.organization_id = $1 AND ba.agent_id = $2 AND ba.block_label = $3),
       upd AS (
         UPDATE blocks b SET value = $4, last_updated_by_id = $5, updated_at = now()
         FROM target t WHERE b.organization_id = $1 AND b.id = t.id AND char_length($4) <= t."limit"
         RETURNING b.*)
       SELECT (SELECT row_to_json(upd) FROM upd) AS updated, (SELECT row_to_json(target) FROM target) AS block`,
      [organizationId, agentId, label, value, userId],
    )) as { updated: Record<string, unknown> | null; block: { limit: number; label: string } | null }[];
    return {
      updated: row.updated ? this.repo.create(camelRow(row.updated) as Partial<BlockEntity>) : null,
      block: row.block,
    };
  }

  findForAgentByLabel(organizationId: string, agentId: string, label: string): Promise<BlockEntity | null> {
    return this.repo
      .createQueryBuilder('b')
      .innerJoin(BlockAgentEntity, 'ba', 'ba.block_id = b.id')
      .where('ba.organization_id = :organizationId AND ba.agent_id = :agentId AND ba.block_label = :label', {
        organizationId,
        agentId,
        label,
      })
      .getOne();
  }

  async agentIdsOf(organizationId: string, blockId: string): Promise<string[]> {
    const rows = await this.ds
      .getRepository(BlockAgentEntity)
      .find({ where: { organizationId, blockId }, select: { agentId: true } });
    return rows.map((r) => r.agentId);
  }

  async attach(organizationId: string, agentId: string, block: BlockEntity): Promise<void> {
    await this.ds
      .getRepository(BlockAgentEntity)
      .insert({ organizationId, agentId, blockId: block.id, blockLabel: block.label });
  }

  async detach(organizationId: string, agentId: string, blockId: string): Promise<boolean> {
    const r = await this.ds.getRepository(BlockAgentEntity).delete({ organizationId, agentId, blockId });
    return (r.affected ?? 0) > 0;
  }

  async isAttached(organizationId: string, agentId: string, blockId: string): Promise<boolean> {
    return this.ds.getRepository(BlockAgentEntity).exists({ where: { organizationId, agentId, blockId } });
  }

  async labelTaken(organizationId: string, agentId: string, label: string): Promise<boolean> {
    return this.ds
      .getRepository(BlockAgentEntity)
      .exists({ where: { organizationId, agentId, blockLabel: label } });
  }
}
