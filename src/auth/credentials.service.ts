import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { AccessPolicy } from '../common/auth/access.decorator';
import { AgentAccess, AuthPrincipal, Principal, ROLES, Role, roleRank } from '../common/auth/principal';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../common/errors';
import { isId } from '../common/ids';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { OrganizationsService } from '../organizations/organizations.service';
import { AccessTokensService } from './access-tokens.service';
import { ApiKeysService } from './api-keys.service';
import { JwtClaims, JwtVerifier } from './jwt.verifier';
import { PrincipalCache } from './principal-cache';
import { ACCESS_TOKEN_PREFIX, API_KEY_PREFIX, looksLikeJwt, sameSecret, sha256 } from './secrets-format';

/** What a caller presents: HTTP headers, or a WebSocket upgrade's headers and `?token=`. */
export interface CredentialInput {
  /** The `Authorization` header (`Bearer <credential>`). */
  authorization?: string | string[];
  /** A bare credential from `?token=` (WebSocket clients cannot set headers); HTTP never passes it. */
  token?: string | null;
  /** Letta's `user_id` header. */
  userId?: string | string[];
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * The credential input of an HTTP request or a WebSocket upgrade: its Authorization and
 * `user_id` headers, plus `?token=` for WebSocket clients (browsers cannot set headers there).
 */
export function credentialInput(headers: Headers, token?: string | null): CredentialInput {
  return { authorization: headers.authorization, userId: headers['user_id'] ?? headers['user-id'], token };
}

/** What per-credential counters (rate limits, WebSocket slots) count against. */
export function credentialKey(p: AuthPrincipal): string {
  return p.credential.kind === 'none' ? `user:${p.userId}` : p.credential.id;
}

/** What a route or message needs of the principal (see `authorize`). */
export interface AccessRequest {
  method: string;
  /** The `:agent_id` of the route, if it has one. */
  agentId?: string;
  /** The request's Origin header (browsers send it), checked against access tokens' hostname. */
  origin?: string;
}

/**
 * Credential resolution: "request headers (or `?token=`) → Principal", for the HTTP guard and
 * the WebSocket gateway alike, and the checks of what a principal may do.
 *
 * - Auth off (no ENGRAM_ADMIN_KEY, ENGRAM_AUTH unset): the default user, or the user named in
 *   the `user_id` header, with every right (one-command local use, as in self-hosted Letta).
 * - Auth required: `Bearer` one of the bootstrap admin key, an API key (`sk-engram-...`), a
 *   client-side access token (`ck-engram-...`) or a JWT; anything else is a 401.
 */
@Injectable()
export class CredentialsService implements OnModuleInit {
  private readonly jwt?: JwtVerifier;
  private readonly adminKey?: string;
  readonly required: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly organizations: OrganizationsService,
    private readonly apiKeys: ApiKeysService,
    private readonly accessTokens: AccessTokensService,
    private readonly cache: PrincipalCache,
  ) {
    this.required = config.auth.mode === 'required';
    this.adminKey = config.auth.adminKey;
    if (config.auth.jwt) this.jwt = new JwtVerifier(config.auth.jwt);
  }

  onModuleInit(): void {
    this.organizations.onRemoved(({ organizationId, userId }) => {
      if (organizationId) void this.cache.invalidate(`org:${organizationId}`);
      if (userId) void this.cache.invalidate(`user:${userId}`);
    });
  }

  /** Who the caller is, or a 401/403 naming what is wrong. */
  async authenticate(input: CredentialInput): Promise<AuthPrincipal> {
    const userHeader = first(input.userId);
    if (!this.required) return this.anonymous(userHeader);
    const credential = bearer(first(input.authorization)) ?? (input.token || undefined);
    if (!credential) throw new UnauthorizedError('Missing credentials: send Authorization: Bearer <key>');
    const principal = await this.resolve(credential);
    return userHeader ? this.actAs(principal, userHeader) : principal;
  }

  /**
   * Whether the principal may call a route with this policy; throws 403 (or 404 for an agent
   * an access token does not name). With auth off everything is allowed.
   */
  authorize(p: AuthPrincipal, policy: AccessPolicy, req: AccessRequest): void {
    if (!this.required) return;
    const read = policy.read ?? (req.method === 'GET' || req.method === 'HEAD');
    if (p.credential.kind === 'access_token') {
      if (req.origin && p.hostname && req.origin !== p.hostname)
        throw new ForbiddenError(`This access token is for ${p.hostname}, not ${req.origin}`);
      if (!req.agentId || roleRank(policy.role) > roleRank('member'))
        throw new ForbiddenError('A client-side access token only reaches the agents named in its policy');
      this.authorizeAgent(p, req.agentId, `${read ? 'read' : 'write'}_${policy.agentScope ?? 'agent'}`);
      return;
    }
    if (p.role === 'read_only') {
      if (!read) throw new ForbiddenError('A read_only credential cannot write');
      if (roleRank(policy.role) > roleRank('member')) throw new ForbiddenError(`Needs role ${policy.role}`);
      return;
    }
    if (roleRank(p.role) < roleRank(policy.role)) throw new ForbiddenError(`Needs role ${policy.role}`);
  }

  /**
   * Whether the principal may do `access` to one agent: an access token only to the agents and
   * access its policy lists (an agent it does not name is a 404, as a foreign one would be), a
   * read_only credential only reads. The agent's existence in the organization is the caller's
   * check (a 404 from the service). For the WebSocket gateway: `write_messages` before sending,
   * `read_messages` before streaming a run.
   */
  authorizeAgent(p: AuthPrincipal, agentId: string, access: AgentAccess): void {
    if (!this.required) return;
    if (p.credential.kind === 'access_token') {
      const grant = p.grants?.find((g) => g.id === agentId.toLowerCase());
      if (!grant) throw new NotFoundError('Agent', agentId);
      if (!grant.access.includes(access))
        throw new ForbiddenError(`This access token does not grant ${access} on agent '${agentId}'`);
      return;
    }
    if (p.role === 'read_only' && access.startsWith('write_'))
      throw new ForbiddenError('A read_only credential cannot write');
  }

  /** The credential's cache tags: revoking a key, a token, a user or an organization evicts it. */
  private async resolve(credential: string): Promise<AuthPrincipal> {
    const cacheKey = `cred:${sha256(credential)}`;
    const cached = this.cache.get<AuthPrincipal>(cacheKey);
    if (cached) {
      if (cached.credential.kind === 'api_key')
        this.apiKeys.markUsed(cached.organizationId, cached.credential.id);
      return cached;
    }
    let principal: AuthPrincipal;
    let ttl = Infinity;
    const tags: string[] = [];
    if (this.adminKey && sameSecret(credential, this.adminKey)) {
      return this.admin();
    } else if (credential.startsWith(API_KEY_PREFIX)) {
      const r = await this.apiKeys.authenticate(credential);
      principal = r.principal;
      if (r.expiresAt) ttl = r.expiresAt.getTime() - Date.now();
      tags.push(`apikey:${principal.credential.id}`);
    } else if (credential.startsWith(ACCESS_TOKEN_PREFIX)) {
      const r = await this.accessTokens.authenticate(credential);
      principal = r.principal;
      ttl = r.expiresAt.getTime() - Date.now();
      tags.push(`token:${principal.credential.id}`);
    } else if (this.jwt && looksLikeJwt(credential)) {
      const r = await this.jwt.verify(credential);
      if (!r.ok) throw new UnauthorizedError(`Invalid token: ${r.reason}`);
      principal = await this.fromClaims(r.claims);
      if (typeof r.claims.exp === 'number') ttl = r.claims.exp * 1000 - Date.now();
    } else {
      throw new UnauthorizedError('Unknown credential');
    }
    tags.push(`user:${principal.userId}`, `org:${principal.organizationId}`);
    this.cache.set(cacheKey, principal, tags, ttl);
    return principal;
  }

  /** A JWT's principal: `sub` the user (created on first sight), `org_id`, `role` (default member). */
  private async fromClaims(claims: JwtClaims): Promise<AuthPrincipal> {
    const { sub, org_id: orgId } = claims;
    const role = (claims.role ?? 'member') as Role;
    if (typeof sub !== 'string' || !sub || sub.length > 200)
      throw new UnauthorizedError('Invalid token: sub must be a non-empty string');
    if (!isId('org', orgId)) throw new UnauthorizedError('Invalid token: org_id must be an organization id');
    if (!ROLES.includes(role))
      throw new UnauthorizedError(`Invalid token: role must be one of ${ROLES.join(', ')}`);
    const organizationId = orgId.toLowerCase();
    if (!(await this.organizations.findOrganization(organizationId)))
      throw new UnauthorizedError(`Invalid token: unknown organization '${organizationId}'`);
    const userId = isId('user', sub) ? sub.toLowerCase() : subjectUserId(organizationId, sub);
    const user = await this.organizations.ensureUser(organizationId, userId, sub);
    if (!user || user.organizationId !== organizationId)
      throw new UnauthorizedError('Invalid token: the subject is a user of another organization');
    return { ...user, role, credential: { kind: 'jwt', id: `jwt:${userId}` } };
  }

  /**
   * The `user_id` header: honoured for admin (any user) and org_admin (users of its own
   * organization); refused for every other credential. It never crosses organizations.
   */
  private async actAs(p: AuthPrincipal, userId: string): Promise<AuthPrincipal> {
    if (p.role !== 'admin' && (p.role !== 'org_admin' || p.credential.kind === 'access_token'))
      throw new ForbiddenError('The user_id header is honoured only for admin and org_admin credentials');
    const user = await this.user(userId);
    if (p.role === 'admin') {
      if (!user) throw new UnauthorizedError(`Unknown user '${userId}' in the user_id header`);
    } else if (!user || user.organizationId !== p.organizationId) {
      throw new ForbiddenError(`The user_id header names no user of your organization`);
    }
    return { ...p, organizationId: user.organizationId, userId: user.userId };
  }

  /** Auth off: every right, as the default user or the `user_id` header's (as before auth existed). */
  private async anonymous(userHeader: string | undefined): Promise<AuthPrincipal> {
    if (!userHeader) {
      return {
        ...this.organizations.defaultPrincipal(),
        role: 'admin',
        credential: { kind: 'none', id: 'anonymous' },
      };
    }
    const user = await this.user(userHeader);
    if (!user) throw new UnauthorizedError(`Unknown user '${userHeader}' in the user_id header`);
    return { ...user, role: 'admin', credential: { kind: 'none', id: `user:${user.userId}` } };
  }

  private admin(): AuthPrincipal {
    return {
      ...this.organizations.defaultPrincipal(),
      role: 'admin',
      credential: { kind: 'admin_key', id: 'admin' },
    };
  }

  /** A user's tenant (cached: the header comes with every request of the existing tests and SDKs). */
  private async user(userId: string): Promise<Principal | null> {
    if (!isId('user', userId)) return null;
    const key = `user:${userId.toLowerCase()}`;
    const cached = this.cache.get<Principal>(key);
    if (cached) return cached;
    const user = await this.organizations.principalForUser(userId.toLowerCase());
    if (user) this.cache.set(key, user, [`user:${user.userId}`, `org:${user.organizationId}`]);
    return user;
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new UnauthorizedError('Malformed Authorization header: expected "Bearer <credential>"');
  return m[1];
}

/** A stable user id for a JWT subject that is not itself a user id: one per (organization, sub). */
function subjectUserId(organizationId: string, sub: string): string {
  const h = createHash('sha256').update(`${organizationId}\0${sub}`).digest('hex');
  return `user-${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
