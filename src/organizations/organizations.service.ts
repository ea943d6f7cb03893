import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { Principal } from '../common/auth/principal';
import { OrganizationEntity, UserEntity } from './organization.entity';
import { OrganizationsRepository } from './organizations.repository';

/** Fixed ids of the tenant that requests act as while auth is off (as in self-hosted Letta). */
export const DEFAULT_ORG_ID = 'org-00000000-0000-4000-8000-000000000000';
export const DEFAULT_USER_ID = 'user-00000000-0000-4000-8000-000000000000';

@Injectable()
export class OrganizationsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(OrganizationsService.name);
  /** user id -> principal; users rarely change, and the guard asks on every request. */
  private readonly principals = new Map<string, Principal>();

  constructor(private readonly repo: OrganizationsRepository) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.repo.insertOrganizationIfMissing(DEFAULT_ORG_ID, 'default_org');
    await this.repo.insertUserIfMissing(DEFAULT_USER_ID, DEFAULT_ORG_ID, 'default_user');
    this.logger.debug('Default organization and user are present');
  }

  defaultPrincipal(): Principal {
    return { organizationId: DEFAULT_ORG_ID, userId: DEFAULT_USER_ID };
  }

  /** The principal a user id acts as, or null when no such user exists. */
  async principalForUser(userId: string): Promise<Principal | null> {
    const cached = this.principals.get(userId);
    if (cached) return cached;
    const user = await this.repo.findUser(userId);
    if (!user) return null;
    const principal = { organizationId: user.organizationId, userId: user.id };
    this.principals.set(userId, principal);
    return principal;
  }

  listOrganizations(page: PageRequest): Promise<OrganizationEntity[]> {
    return this.repo.listOrganizations(page);
  }

  createOrganization(name: string): Promise<OrganizationEntity> {
    return this.repo.createOrganization({ id: newId('org'), name });
  }

  async deleteOrganization(id: string): Promise<void> {
    if (!(await this.repo.deleteOrganization(id))) throw new NotFoundError('Organization', id);
    for (const [userId, p] of this.principals) if (p.organizationId === id) this.principals.delete(userId);
  }

  listUsers(organizationId: string | undefined, page: PageRequest): Promise<UserEntity[]> {
    return this.repo.listUsers(organizationId, page);
  }

  async createUser(organizationId: string, name: string): Promise<UserEntity> {
    if (!(await this.repo.findOrganization(organizationId)))
      throw new NotFoundError('Organization', organizationId);
    return this.repo.createUser({ id: newId('user'), organizationId, name });
  }

  async deleteUser(id: string): Promise<void> {
    if (!(await this.repo.deleteUser(id))) throw new NotFoundError('User', id);
    this.principals.delete(id);
  }
}
