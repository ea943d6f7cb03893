import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PageRequest, paginate } from '../common/pagination';
import { OrganizationEntity, UserEntity } from './organization.entity';

/**
 * Organizations are the tenants themselves, so this repository is the one place that is not
 * scoped by an organization id; users are scoped by theirs.
 */
@Injectable()
export class OrganizationsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private get orgs() {
    return this.ds.getRepository(OrganizationEntity);
  }
  private get users() {
    return this.ds.getRepository(UserEntity);
  }

  findOrganization(id: string): Promise<OrganizationEntity | null> {
    return this.orgs.findOneBy({ id });
  }

  /** Every organization, or only `onlyId` (an org_admin's view). */
  listOrganizations(page: PageRequest, onlyId?: string): Promise<OrganizationEntity[]> {
    const qb = this.orgs.createQueryBuilder('o');
    if (onlyId) qb.where('o.id = :onlyId', { onlyId });
    return paginate(qb, 'o', page, 'Organization');
  }

  async updateOrganization(
    id: string,
    patch: Partial<Pick<OrganizationEntity, 'name' | 'privilegedTools'>>,
  ): Promise<OrganizationEntity | null> {
    if (Object.keys(patch).length) await this.orgs.update({ id }, patch);
    return this.findOrganization(id);
  }

  async insertOrganizationIfMissing(id: string, name: string): Promise<void> {
    await this.orgs.createQueryBuilder().insert().values({ id, name }).orIgnore().execute();
  }

  createOrganization(org: Pick<OrganizationEntity, 'id' | 'name'>): Promise<OrganizationEntity> {
    return this.orgs.save(this.orgs.create(org));
  }

  async deleteOrganization(id: string): Promise<boolean> {
    return ((await this.orgs.delete({ id })).affected ?? 0) > 0;
  }

  findUser(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  listUsers(organizationId: string | undefined, page: PageRequest): Promise<UserEntity[]> {
    const qb = this.users.createQueryBuilder('u');
    if (organizationId) qb.where('u.organization_id = :organizationId', { organizationId });
    return paginate(qb, 'u', page, 'User');
  }

  async insertUserIfMissing(id: string, organizationId: string, name: string): Promise<void> {
    await this.users.createQueryBuilder().insert().values({ id, organizationId, name }).orIgnore().execute();
  }

  createUser(user: Pick<UserEntity, 'id' | 'organizationId' | 'name'>): Promise<UserEntity> {
    return this.users.save(this.users.create(user));
  }

  async deleteUser(id: string): Promise<boolean> {
    return ((await this.users.delete({ id })).affected ?? 0) > 0;
  }
}
