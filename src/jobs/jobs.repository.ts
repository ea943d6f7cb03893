import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, Not } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { JobEntity, JobStatus, TERMINAL_JOB_STATUSES } from './job.entity';

export interface JobFilter {
  statuses?: JobStatus[];
  /** Jobs whose metadata names this folder. */
  sourceId?: string;
}

@Injectable()
export class JobsRepository extends TenantRepository<JobEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(JobEntity));
  }

  async insert(row: Partial<JobEntity>): Promise<void> {
    await this.repo.insert(row as QueryDeepPartialEntity<JobEntity>);
  }

  list(organizationId: string, f: JobFilter, page: PageRequest): Promise<JobEntity[]> {
    const qb = this.scoped(organizationId, 'j');
    if (f.statuses) qb.andWhere('j.status IN (:...statuses)', { statuses: f.statuses });
    if (f.sourceId) qb.andWhere(`j.metadata->>'source_id' = :sourceId`, { sourceId: f.sourceId });
    return paginate(qb, 'j', page, 'Job');
  }

  async update(organizationId: string, id: string, patch: Partial<JobEntity>): Promise<void> {
    await this.repo.update({ organizationId, id }, patch as QueryDeepPartialEntity<JobEntity>);
  }

  /** Moves a job that has not ended to `patch.status`; false when it had already ended. */
  async updateIfActive(organizationId: string, id: string, patch: Partial<JobEntity>): Promise<boolean> {
    const result = await this.repo.update(
      { organizationId, id, status: Not(In([...TERMINAL_JOB_STATUSES])) },
      patch as QueryDeepPartialEntity<JobEntity>,
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * Jobs of one kind (`metadata.type`) that have not ended, in every organization, oldest first.
   * Only for boot: a process whose queue lived in memory takes back the work it lost.
   */
  unfinishedEverywhere(kind: string): Promise<JobEntity[]> {
    return this.repo
      .createQueryBuilder('j')
      .where('j.status NOT IN (:...ended)', { ended: [...TERMINAL_JOB_STATUSES] })
      .andWhere(`j.metadata->>'type' = :kind`, { kind })
      .orderBy('j.created_at', 'ASC')
      .addOrderBy('j.id', 'ASC')
      .getMany();
  }

  /** Counts one more attempt at a job and returns the row as it now is. */
  async startAttempt(organizationId: string, id: string): Promise<JobEntity | null> {
    const [rows]: [Array<{ id: string }>, number] = await this.ds.query(
      `UPDATE jobs SET attempts = attempts + 1, status = 'running', updated_at = now()
       WHERE organization_id = $1 AND id = $2 AND status NOT IN ('completed', 'failed', 'cancelled')
       RETURNING id`,
      [organizationId, id],
    );
    if (rows.length === 0) return null;
    return this.findById(organizationId, id);
  }
}
