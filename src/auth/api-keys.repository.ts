import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { ApiKeyEntity } from './api-key.entity';

@Injectable()
export class ApiKeysRepository extends TenantRepository<ApiKeyEntity> {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds.getRepository(ApiKeyEntity));
  }

  /**
   * The key with this lookup prefix, whatever its organization: authentication is how the
   * organization becomes known, so this is the one lookup that cannot be scoped by it.
   */
  findByPrefixForAuth(prefix: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOneBy({ prefix });
  }

  async insert(row: Omit<ApiKeyEntity, 'createdAt' | 'lastUsedAt'>): Promise<ApiKeyEntity> {
    await this.repo.insert(row);
    return (await this.findById(row.organizationId, row.id))!;
  }

  /** Keys of one organization, or of every organization (`organizationId` undefined: admin). */
  list(organizationId: string | undefined, page: PageRequest): Promise<ApiKeyEntity[]> {
    const qb = organizationId ? this.scoped(organizationId, 'k') : this.repo.createQueryBuilder('k');
    return paginate(qb, 'k', page, 'API key');
  }

  /** Any organization's key by id (admin), or only within `organizationId`. */
  findForAdmin(organizationId: string | undefined, id: string): Promise<ApiKeyEntity | null> {
    return organizationId ? this.findById(organizationId, id) : this.repo.findOneBy({ id });
  }

  async touch(organizationId: string, id: string, at: Date): Promise<void> {
    await this.repo.update({ organizationId, id }, { lastUsedAt: at });
  }
}
