import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { ArchiveAgentEntity, ArchiveEntity } from './archive.entity';

export interface ArchiveFilter {
  name?: string;
  agentId?: string;
}

@Injectable()
export class ArchivesRepository extends TenantRepository<ArchiveEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(ArchiveEntity));
  }

  list(organizationId: string, f: ArchiveFilter, page: PageRequest): Promise<ArchiveEntity[]> {
    const qb = this.scoped(organizationId, 'a');
    if (f.name !== undefined) qb.andWhere('a.name = :name', { name: f.name });
    if (f.agentId !== undefined) {
      qb.andWhere(
        'EXISTS (SELECT 1 FROM archives_agents aa WHERE aa.archive_id = a.id AND aa.agent_id = :agentId)',
        {
          agentId: f.agentId,
        },
      );
    }
    return paginate(qb, 'a', page, 'Archive');
  }

  insert(archive: Partial<ArchiveEntity>): Promise<ArchiveEntity> {
    return this.repo.save(this.repo.create(archive));
  }

  async update(organizationId: string, id: string, patch: Partial<ArchiveEntity>): Promise<void> {
    await this.repo.update({ organizationId, id }, patch as QueryDeepPartialEntity<ArchiveEntity>);
  }

  /** The archives attached to an agent: the one it owns first, then by attachment time. */
  async ofAgent(organizationId: string, agentId: string): Promise<ArchiveEntity[]> {
    return this.repo
      .createQueryBuilder('a')
      .innerJoin(ArchiveAgentEntity, 'aa', 'aa.archive_id = a.id AND aa.organization_id = a.organization_id')
      .where('a.organization_id = :organizationId AND aa.agent_id = :agentId', { organizationId, agentId })
      .orderBy('aa.is_owner', 'DESC')
      .addOrderBy('aa.created_at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getMany();
  }

  /** Every archive of the organization (for org-wide search). */
  all(organizationId: string): Promise<ArchiveEntity[]> {
    return this.repo.find({ where: { organizationId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async attach(organizationId: string, agentId: string, archiveId: string): Promise<void> {
    await this.ds
      .createQueryBuilder()
      .insert()
      .into(ArchiveAgentEntity)
      .values({ organizationId, agentId, archiveId, isOwner: false })
      .orIgnore()
      .execute();
  }

  async detach(organizationId: string, agentId: string, archiveId: string): Promise<void> {
    await this.ds.getRepository(ArchiveAgentEntity).delete({ organizationId, agentId, archiveId });
  }

  /**
   * The archive an agent's inserts go to, created (and owned by the agent) on first use, as
   * Letta does. The agent row is locked so two first inserts do not make two archives.
   * Returns null when the agent does not exist in the organization.
   */
  async defaultFor(
    organizationId: string,
    agentId: string,
    make: () => Partial<ArchiveEntity>,
  ): Promise<ArchiveEntity | null> {
    return this.ds.transaction(async (m) => {
      const agent = await m.query(`SELECT id FROM agents WHERE organization_id = $1 AND id = $2 FOR UPDATE`, [
        organizationId,
        agentId,
      ]);
      if (agent.length === 0) return null;
      const existing = await m
        .getRepository(ArchiveEntity)
        .createQueryBuilder('a')
        .innerJoin(ArchiveAgentEntity, 'aa', 'aa.archive_id = a.id')
        .where('a.organization_id = :organizationId AND aa.agent_id = :agentId', { organizationId, agentId })
        .orderBy('aa.is_owner', 'DESC')
        .addOrderBy('aa.created_at', 'ASC')
        .addOrderBy('a.id', 'ASC')
        .getOne();
      if (existing) return existing;
      const archive = await m
        .getRepository(ArchiveEntity)
        .save(m.getRepository(ArchiveEntity).create(make()));
      await m
        .getRepository(ArchiveAgentEntity)
        .insert({ organizationId, agentId, archiveId: archive.id, isOwner: true });
      return archive;
    });
  }
}
