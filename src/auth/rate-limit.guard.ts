import { ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
} from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthPrincipal } from '../common/auth/principal';
import type { AppConfig } from '../config/config';
import { FixedWindowThrottlerStorage } from './rate-limit.storage';

type RequestWithPrincipal = FastifyRequest & { principal?: AuthPrincipal };

const WINDOW_MS = 60_000;

/** Requests per minute allowed for this request's credential (0: unlimited). */
function limitFor(context: ExecutionContext, config: AppConfig): number {
  const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (config.auth.mode === 'off') return config.auth.rateLimitPerMinute;
  return principal?.credential.rateLimitPerMinute ?? config.auth.rateLimitPerMinute;
}

/**
 * `@nestjs/throttler` options: one fixed window of a minute per credential, counted in Redis
 * (shared by every replica, keys under the Redis prefix) when REDIS_URL is set, else in process.
 */
export function throttlerOptions(config: AppConfig): ThrottlerModuleOptions {
  return {
    throttlers: [{ name: 'default', ttl: WINDOW_MS, limit: (ctx) => limitFor(ctx, config) }],
    storage: config.redisUrl
      ? new ThrottlerStorageRedisService(config.redisUrl, {
          keyPrefix: `${config.redisPrefix}:ratelimit:`,
          maxRetriesPerRequest: 2,
        })
      : new FixedWindowThrottlerStorage(),
    errorMessage: (_ctx, d) =>
      `Rate limit exceeded: ${d.limit} requests per minute for this credential; retry in ${d.timeToBlockExpire} s`,
  };
}

/**
 * The rate limit, applied by the auth guard once the principal is known: counted per credential
 * (an API key, a token, a JWT subject; per client address when auth is off and a limit is set),
 * across all routes. Answers 429 with Retry-After and the X-RateLimit-* headers.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(req: Partial<RequestWithPrincipal>): Promise<string> {
    const principal = req.principal;
    if (principal && principal.credential.kind !== 'none') return `cred:${principal.credential.id}`;
    return `ip:${req.ip}`;
  }

  /** One counter per credential for the whole API, not one per route. */
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const limit = (this.throttlers[0]?.limit ?? 0) as number | ((c: ExecutionContext) => number);
    return (typeof limit === 'function' ? limit(context) : limit) <= 0;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header(`${this.headerPrefix}-Limit`, detail.limit);
    void reply.header(`${this.headerPrefix}-Remaining`, 0);
    void reply.header(`${this.headerPrefix}-Reset`, detail.timeToBlockExpire);
    throw new ThrottlerException(await this.getErrorMessage(context, detail));
  }
}
