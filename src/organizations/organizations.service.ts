import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ForbiddenError, NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { AuthPrincipal, orgScope, Principal } from '../common/auth/principal';
import { OrganizationEntity, UserEntity } from './organization.entity';
import { OrganizationsRepository } from './organizations.repository';

/** Fixed ids of the tenant that requests act as while auth is off (as in self-hosted Letta). */
export const DEFAULT_ORG_ID = 'org-00000000-0000-4000-8000-000000000000';
export const DEFAULT_USER_ID = 'user-00000000-0000-4000-8000-000000000000';

/** A user or an organization was deleted: caches of principals must forget them. */
export interface TenantRemoved {
  organizationId?: string;
  userId?: string;
}

@Injectable()
export class OrganizationsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(OrganizationsService.name);
  private readonly removedListeners: Array<(e: TenantRemoved) => void> = [];

  constructor(private readonly repo: OrganizationsRepository) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.repo.insertOrganizationIfMissing(DEFAULT_ORG_ID, 'default_org');
    await this.repo.insertUserIfMissing(DEFAULT_USER_ID, DEFAULT_ORG_ID, 'default_user');
    this.logger.debug('Default organization and user are present');
  }

  defaultPrincipal(): Principal {
    return { organizationId: DEFAULT_ORG_ID, userId: DEFAULT_USER_ID };
  }

  /**
   * Called after a user or an organization is deleted, so layers above (the auth module's
   * principal cache) can forget it without this module depending on them.
   */
  onRemoved(listener: (e: TenantRemoved) => void): void {
    this.removedListeners.push(listener);
  }

  /** The principal a user id acts as, or null when no such user exists. Not cached here. */
  async principalForUser(userId: string): Promise<Principal | null> {
    const user = await this.repo.findUser(userId);
    return user ? { organizationId: user.organizationId, userId: user.id } : null;
  }

  findOrganization(id: string): Promise<OrganizationEntity | null> {
    return this.repo.findOrganization(id);
  }

  /** Creates the user on first sight (JWT subjects); an existing id is left as it is. */
  async ensureUser(organizationId: string, id: string, name: string): Promise<Principal | null> {
    await this.repo.insertUserIfMissing(id, organizationId, name);
    return this.principalForUser(id);
  }

  listOrganizations(page: PageRequest, onlyId?: string): Promise<OrganizationEntity[]> {
    return this.repo.listOrganizations(page, onlyId);
  }

  createOrganization(name: string): Promise<OrganizationEntity> {
    return this.repo.createOrganization({ id: newId('org'), name });
  }

  /** Organization settings: an org_admin may rename its own; `privileged_tools` is admin's. */
  async updateOrganization(
    p: AuthPrincipal,
    id: string,
    patch: { name?: string; privilegedTools?: boolean },
  ): Promise<OrganizationEntity> {
    const scope = orgScope(p);
    if (scope && scope !== id) throw new NotFoundError('Organization', id);
    if (patch.privilegedTools !== undefined && p.role !== 'admin')
      throw new ForbiddenError('privileged_tools can only be changed by an admin');
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const org = await this.repo.updateOrganization(id, defined);
    if (!org) throw new NotFoundError('Organization', id);
    return org;
  }

  async deleteOrganization(id: string): Promise<void> {
    if (!(await this.repo.deleteOrganization(id))) throw new NotFoundError('Organization', id);
    this.removed({ organizationId: id });
  }

  /**
   * Users the principal may see: an admin's of every organization (or of `organizationId`),
   * anyone else's of their own organization only (another's filter gives an empty list).
   */
  async listUsers(
    p: AuthPrincipal,
    organizationId: string | undefined,
    page: PageRequest,
  ): Promise<UserEntity[]> {
    const scope = orgScope(p);
    if (scope && organizationId && organizationId !== scope) return [];
    return this.repo.listUsers(scope ?? organizationId, page);
  }

  /** A user in `organizationId` (default: the principal's own, or the default one for admin). */
  async createUser(p: AuthPrincipal, organizationId: string | undefined, name: string): Promise<UserEntity> {
    const scope = orgScope(p);
    const orgId = organizationId ?? scope ?? DEFAULT_ORG_ID;
    if ((scope && orgId !== scope) || !(await this.repo.findOrganization(orgId)))
      throw new NotFoundError('Organization', orgId);
    return this.repo.createUser({ id: newId('user'), organizationId: orgId, name });
  }

  /** Deletes the user; with `organizationId`, only a user of that organization (else 404). */
  async deleteUser(id: string, organizationId?: string): Promise<void> {
    const user = await this.repo.findUser(id);
    if (
      !user ||
      (organizationId && user.organizationId !== organizationId) ||
      !(await this.repo.deleteUser(id))
    )
      throw new NotFoundError('User', id);
    this.removed({ userId: id });
  }

  private removed(e: TenantRemoved): void {
    for (const listener of this.removedListeners) {
      try {
        listener(e);
      } catch (err) {
        this.logger.error({ err }, 'a tenant-removed listener failed');
      }
    }
  }
}
