import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { TenantRepository } from '../common/tenant.repository';
import { AccessTokenEntity } from './access-token.entity';

@Injectable()
export class AccessTokensRepository extends TenantRepository<AccessTokenEntity> {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds.getRepository(AccessTokenEntity));
  }

  /** The token with this hash, whatever its organization (authentication makes it known). */
  findByHashForAuth(tokenHash: string): Promise<AccessTokenEntity | null> {
    return this.repo.findOneBy({ tokenHash });
  }

  findByHash(organizationId: string, tokenHash: string): Promise<AccessTokenEntity | null> {
    return this.repo.findOneBy({ organizationId, tokenHash });
  }

  async insert(row: Omit<AccessTokenEntity, 'createdAt'>): Promise<void> {
    await this.repo.insert(row);
  }

  /** Live tokens of the organization, newest first; `agentId` keeps those naming that agent. */
  async page(
    organizationId: string,
    now: Date,
    opts: { agentId?: string; offset: number; limit: number },
  ): Promise<AccessTokenEntity[]> {
    const qb = this.scoped(organizationId, 't').andWhere('t.expires_at > :now', { now });
    if (opts.agentId)
      qb.andWhere(`t.policy @> :grant::jsonb`, { grant: JSON.stringify([{ id: opts.agentId }]) });
    return qb
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .offset(opts.offset)
      .limit(opts.limit)
      .getMany();
  }

  /** Housekeeping: expired tokens of the organization are of no use to anyone. */
  async deleteExpired(organizationId: string, now: Date): Promise<void> {
    await this.repo.delete({ organizationId, expiresAt: LessThan(now) });
  }
}
