import { Inject, Injectable } from '@nestjs/common';
import { AgentsRepository } from '../agents/agents.repository';
import { AgentGrant, AuthPrincipal } from '../common/auth/principal';
import { InvalidInputError, NotFoundError, UnauthorizedError } from '../common/errors';
import { IdPipe } from '../common/id.pipe';
import { newId } from '../common/ids';
import { decryptSecret, encryptSecret, loadSecretsKey } from '../common/secrets';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AccessTokenEntity } from './access-token.entity';
import { AccessTokensRepository } from './access-tokens.repository';
import { CreateAccessTokenDto, ListAccessTokensQueryDto, toAccessTokenDto } from './dto/access-token.dto';
import { PrincipalCache } from './principal-cache';
import { isAccessToken, newAccessToken, sha256 } from './secrets-format';

/** Letta's default lifetime of a client-side access token. */
const DEFAULT_TTL_MS = 5 * 60_000;

/**
 * Client-side access tokens (Letta's `client.accessTokens`): short-lived bearer tokens for
 * browser apps, each confined to the agents named in its policy and to the access listed there.
 * Requests made with one act as the user who created it, within that user's organization.
 */
@Injectable()
export class AccessTokensService {
  private readonly key: Buffer;

  constructor(
    private readonly tokens: AccessTokensRepository,
    private readonly agents: AgentsRepository,
    private readonly cache: PrincipalCache,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.key = loadSecretsKey(config.secretsKey, config.dataDir);
  }

  async create(p: AuthPrincipal, dto: CreateAccessTokenDto) {
    const hostname = origin(dto.hostname);
    const grants = mergeGrants(dto.policy.map((g) => ({ ...g, id: new IdPipe('agent').transform(g.id) })));
    const found = await this.agents.findByIds(
      p.organizationId,
      grants.map((g) => g.id),
    );
    const missing = grants.find((g) => !found.some((a) => a.id === g.id));
    if (missing) throw new NotFoundError('Agent', missing.id);
    const now = Date.now();
    const expiresAt = dto.expires_at ? new Date(dto.expires_at) : new Date(now + DEFAULT_TTL_MS);
    if (expiresAt.getTime() <= now) throw new InvalidInputError('expires_at must be in the future');
    const { token, hash } = newAccessToken();
    const id = newId('access_token');
    const row: Omit<AccessTokenEntity, 'createdAt'> = {
      id,
      organizationId: p.organizationId,
      userId: p.userId,
      tokenHash: hash,
      tokenEnc: encryptSecret(token, this.key, id),
      hostname,
      policy: grants,
      expiresAt,
    };
    await this.tokens.deleteExpired(p.organizationId, new Date(now));
    await this.tokens.insert(row);
    return toAccessTokenDto(row as AccessTokenEntity, token);
  }

  /** Live tokens of the caller's organization (Letta's offset paging). */
  async list(p: AuthPrincipal, q: ListAccessTokensQueryDto) {
    const limit = q.limit ?? 10;
    const rows = await this.tokens.page(p.organizationId, new Date(), {
      agentId: q.agentId,
      offset: q.offset ?? 0,
      limit: limit + 1,
    });
    return {
      tokens: rows.slice(0, limit).map((t) => toAccessTokenDto(t, decryptSecret(t.tokenEnc, this.key, t.id))),
      hasNextPage: rows.length > limit,
    };
  }

  async delete(p: AuthPrincipal, token: string): Promise<void> {
    const row = isAccessToken(token) ? await this.tokens.findByHash(p.organizationId, sha256(token)) : null;
    if (!row) throw new NotFoundError('Access token', mask(token));
    await this.tokens.deleteById(p.organizationId, row.id);
    await this.cache.invalidate(`token:${row.id}`);
  }

  /** The principal of a presented token, or 401. */
  async authenticate(token: string): Promise<{ principal: AuthPrincipal; expiresAt: Date }> {
    const row = isAccessToken(token) ? await this.tokens.findByHashForAuth(sha256(token)) : null;
    if (!row) throw new UnauthorizedError('Unknown or revoked access token');
    if (row.expiresAt.getTime() <= Date.now()) throw new UnauthorizedError('Access token expired');
    return {
      principal: {
        organizationId: row.organizationId,
        userId: row.userId,
        role: 'member',
        credential: { kind: 'access_token', id: row.id },
        grants: row.policy,
        hostname: row.hostname,
      },
      expiresAt: row.expiresAt,
    };
  }
}

/** The origin of the app's URL (scheme://host[:port]); anything else is a 422 naming the field. */
function origin(hostname: string): string {
  let url: URL;
  try {
    url = new URL(hostname);
  } catch {
    throw new InvalidInputError(`hostname: '${hostname}' is not a URL (e.g. https://app.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidInputError('hostname: must be an http:// or https:// URL');
  return url.origin;
}

/** One entry per agent: repeated entries for an agent are merged. */
function mergeGrants(grants: AgentGrant[]): AgentGrant[] {
  const byId = new Map<string, AgentGrant>();
  for (const g of grants) {
    const seen = byId.get(g.id);
    byId.set(g.id, {
      type: 'agent',
      id: g.id,
      access: [...new Set([...(seen?.access ?? []), ...g.access])],
    });
  }
  return [...byId.values()];
}

/** Never echo a whole token in an error. */
function mask(token: string): string {
  return token.length > 16 ? `${token.slice(0, 14)}...` : token;
}
