import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../common/auth/principal';
import { AuthRedis } from './auth-redis';

/** Entries kept at most; the least recently used go first. */
const MAX_ENTRIES = 10_000;
/**
 * The longest a cached principal lives. Revocations are pushed to every replica at once (Redis
 * pub/sub); this bounds staleness if one is ever missed (a dropped subscriber connection).
 */
export const PRINCIPAL_TTL_MS = 10_000;

interface Entry {
  principal: Principal;
  /** What the entry depends on: `apikey:<id>`, `token:<id>`, `user:<id>`, `org:<id>`. */
  tags: string[];
}

/**
 * Resolved credentials, so most requests cost no database round trip. Bounded (LRU), short-lived
 * (TTL), and told about revocations and deletions on any replica: `invalidate(tag)` evicts here
 * and publishes to the others.
 */
@Injectable()
export class PrincipalCache implements OnModuleInit {
  private readonly logger = new Logger(PrincipalCache.name);
  private readonly entries = new LRUCache<string, Entry>({ max: MAX_ENTRIES, ttl: PRINCIPAL_TTL_MS });
  private readonly channel: string;

  constructor(private readonly redis: AuthRedis) {
    this.channel = `${redis.prefix}:auth:invalidate`;
  }

  onModuleInit(): void {
    const sub = this.redis.subscriptions();
    if (!sub) return;
    sub.on('message', (channel: string, tag: string) => {
      if (channel === this.channel) this.evict(tag);
    });
    // Not awaited: a Redis that is down at boot must not stop the API (the TTL still bounds staleness).
    sub
      .subscribe(this.channel)
      .catch((err: Error) => this.logger.error(`subscribing to revocations: ${err.message}`));
  }

  get<T extends Principal>(key: string): T | undefined {
    return this.entries.get(key)?.principal as T | undefined;
  }

  /** Caches for at most `ttlMs` (and never past PRINCIPAL_TTL_MS). */
  set(key: string, principal: Principal, tags: string[], ttlMs = PRINCIPAL_TTL_MS): void {
    const ttl = Math.min(ttlMs, PRINCIPAL_TTL_MS);
    if (ttl > 0) this.entries.set(key, { principal, tags }, { ttl });
  }

  /** Forgets every entry tagged `tag`, here and on every other replica. */
  async invalidate(tag: string): Promise<void> {
    this.evict(tag);
    await this.redis
      .commands()
      ?.publish(this.channel, tag)
      .catch((err: Error) => this.logger.error(`publishing a revocation failed: ${err.message}`));
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(tag: string): void {
    for (const [key, entry] of this.entries.entries()) if (entry.tags.includes(tag)) this.entries.delete(key);
  }
}
