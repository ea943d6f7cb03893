import { FindOptionsWhere, ObjectLiteral, Repository, SelectQueryBuilder, In } from 'typeorm';

/** Every tenant-owned row has these. */
export interface TenantRow extends ObjectLiteral {
  id: string;
  organizationId: string;
}

/** A filter that cannot be written without the tenant: `{ organizationId }` is required. */
export type TenantFilter<T extends TenantRow> = FindOptionsWhere<T> & { organizationId: string };

/**
 * Base for repositories of tenant-owned tables. Each method takes the organization first;
 * there is no way to read or write a row without naming whose it is.
 */
export abstract class TenantRepository<T extends TenantRow> {
  protected constructor(protected readonly repo: Repository<T>) {}

  findById(organizationId: string, id: string): Promise<T | null> {
    return this.repo.findOneBy({ organizationId, id } as TenantFilter<T>);
  }

  findByIds(organizationId: string, ids: string[]): Promise<T[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.repo.findBy({ organizationId, id: In(ids) } as unknown as TenantFilter<T>);
  }

  findOneWhere(filter: TenantFilter<T>): Promise<T | null> {
    return this.repo.findOneBy(filter);
  }

  /** A query builder already restricted to the tenant. */
  protected scoped(organizationId: string, alias: string): SelectQueryBuilder<T> {
    return this.repo
      .createQueryBuilder(alias)
      .where(`${alias}.organization_id = :organizationId`, { organizationId });
  }

  async deleteById(organizationId: string, id: string): Promise<boolean> {
    const result = await this.repo.delete({ organizationId, id } as TenantFilter<T>);
    return (result.affected ?? 0) > 0;
  }
}
