import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { createRedis } from '../common/redis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Deletes the lock if its token starts with `owner:` (a run whose process died). */
const RELEASE_OWNER = `local v = redis.call('get', KEYS[1]) if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ':' then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Serializes runs on one agent: each run waits for the previous one on the same agent, so two
 * sends never interleave and both complete (Letta answers the second with 409). Inside a
 * process a promise chain keeps arrival order; with REDIS_URL a leased Redis lock (renewed
 * while held, released only by its owner) extends the guarantee across api/worker processes.
 */
@Injectable()
export class AgentLocks implements OnModuleDestroy {
  private readonly logger = new Logger(AgentLocks.name);
  private readonly tails = new Map<string, Promise<void>>();
  private readonly redis?: Redis;
  private readonly prefix: string;
  /** The lock's time to live; renewed every third of it while held (ENGRAM_RUN_LEASE_MS). */
  private readonly leaseMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = config.redisPrefix;
    this.leaseMs = config.runs.leaseMs;
    if (config.redisUrl)
      this.redis = createRedis(config.redisUrl, 'agent locks', { maxRetriesPerRequest: 3 });
  }

  /** No run holds or waits for the agent's lock in this process (another process may hold it). */
  isFree(agentId: string): boolean {
    return !this.tails.has(agentId);
  }

  /** `owner` (a run id) tags the Redis lock so `releaseIfHeldBy` can free it if that run's process dies. */
  async withLock<T>(agentId: string, fn: () => Promise<T>, owner?: string): Promise<T> {
    const previous = this.tails.get(agentId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(agentId, tail);
    await previous;
    const unlock = this.redis ? await this.acquireShared(agentId, owner) : undefined;
    try {
      return await fn();
    } finally {
      await unlock?.();
      release();
      if (this.tails.get(agentId) === tail) this.tails.delete(agentId);
    }
  }

  /** Frees the agent's Redis lock if `owner` holds it (the LeaseSweeper, after failing `owner`). */
  async releaseIfHeldBy(agentId: string, owner: string): Promise<boolean> {
    if (!this.redis) return false;
    const released = await this.redis.eval(RELEASE_OWNER, 1, this.lockKey(agentId), owner);
    return released === 1;
  }

  private lockKey(agentId: string): string {
    return `${this.prefix}:lock:agent:${agentId}`;
  }

  private async acquireShared(agentId: string, owner?: string): Promise<() => Promise<void>> {
    const redis = this.redis!;
    const key = this.lockKey(agentId);
    const token = owner ? `${owner}:${randomUUID()}` : randomUUID();
    for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
      if ((await redis.set(key, token, 'PX', this.leaseMs, 'NX')) === 'OK') break;
      await new Promise((r) => setTimeout(r, wait));
    }
    const renew = setInterval(() => {
      redis
        .eval(RENEW, 1, key, token, String(this.leaseMs))
        .catch((err: Error) => this.logger.warn(`lock renewal: ${err.message}`));
    }, this.leaseMs / 3);
    renew.unref();
    return async () => {
      clearInterval(renew);
      await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    };
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
