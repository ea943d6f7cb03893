import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AuthPrincipal, orgScope, roleRank } from '../common/auth/principal';
import { ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from '../common/errors';
import { IdPipe } from '../common/id.pipe';
import { newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { OrganizationsService } from '../organizations/organizations.service';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeysRepository } from './api-keys.repository';
import { CreateApiKeyDto } from './dto/api-key.dto';
import { PrincipalCache } from './principal-cache';
import { apiKeyLookup, newApiKey, sameDigest, sha256 } from './secrets-format';

/** `last_used_at` is written at most this often per key (per process): not on every request. */
const TOUCH_EVERY_MS = 60_000;

/** API keys: minted by admins and org_admins, stored hashed, revoked everywhere at once. */
@Injectable()
export class ApiKeysService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ApiKeysService.name);
  private readonly touched = new LRUCache<string, number>({ max: 10_000 });
  /** `last_used_at` writes in flight: shutdown waits for them before the pool closes. */
  private readonly pending = new Set<Promise<void>>();
  private closing = false;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly organizations: OrganizationsService,
    private readonly cache: PrincipalCache,
  ) {}

  async create(p: AuthPrincipal, dto: CreateApiKeyDto): Promise<{ row: ApiKeyEntity; key: string }> {
    const organizationId = new IdPipe('org').transform(dto.organization_id);
    const scope = orgScope(p);
    if ((scope && scope !== organizationId) || !(await this.organizations.findOrganization(organizationId)))
      throw new NotFoundError('Organization', organizationId);
    if (roleRank(dto.role) > roleRank(p.role))
      throw new ForbiddenError(`A ${p.role} credential cannot mint a key with role ${dto.role}`);
    let userId: string | null = null;
    if (dto.user_id) {
      userId = new IdPipe('user').transform(dto.user_id);
      const user = await this.organizations.principalForUser(userId);
      if (!user || user.organizationId !== organizationId) throw new NotFoundError('User', userId);
    }
    const expiresAt = dto.expires_at ? new Date(dto.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw new InvalidInputError('expires_at must be in the future');
    const { key, lookup, hash } = newApiKey();
    const row = await this.keys.insert({
      id: newId('apikey'),
      organizationId,
      userId,
      name: dto.name,
      prefix: lookup,
      keyHash: hash,
      role: dto.role,
      expiresAt,
      rateLimitPerMinute: dto.rate_limit_per_minute ?? null,
      createdById: p.userId,
    });
    return { row, key };
  }

  list(p: AuthPrincipal, organizationId: string | undefined, page: PageRequest): Promise<ApiKeyEntity[]> {
    const scope = orgScope(p);
    if (scope && organizationId && organizationId !== scope) return Promise.resolve([]);
    return this.keys.list(scope ?? organizationId, page);
  }

  /** Deletes the key; every replica refuses it within moments (cache invalidation over Redis). */
  async revoke(p: AuthPrincipal, id: string): Promise<ApiKeyEntity> {
    const row = await this.keys.findForAdmin(orgScope(p), id);
    if (!row) throw new NotFoundError('API key', id);
    await this.keys.deleteById(row.organizationId, id);
    await this.cache.invalidate(`apikey:${id}`);
    return row;
  }

  /** The principal of a presented key, or 401. */
  async authenticate(key: string): Promise<{ principal: AuthPrincipal; expiresAt: Date | null }> {
    const lookup = apiKeyLookup(key);
    const row = lookup ? await this.keys.findByPrefixForAuth(lookup) : null;
    if (!row || !sameDigest(row.keyHash, sha256(key)))
      throw new UnauthorizedError('Unknown or revoked API key');
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now())
      throw new UnauthorizedError('API key expired');
    this.markUsed(row.organizationId, row.id);
    return {
      principal: {
        organizationId: row.organizationId,
        userId: row.userId ?? row.id,
        role: row.role,
        credential: { kind: 'api_key', id: row.id, rateLimitPerMinute: row.rateLimitPerMinute ?? undefined },
      },
      expiresAt: row.expiresAt,
    };
  }

  /** Records use, at most once a minute per key; failures are logged, never fail the request. */
  markUsed(organizationId: string, id: string): void {
    const now = Date.now();
    if (this.closing || now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    const write = this.keys
      .touch(organizationId, id, new Date(now))
      .catch((err: Error) => this.logger.warn(`recording last_used_at of ${id}: ${err.message}`))
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.all(this.pending);
  }
}
