import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { createRedis } from '../common/redis';

const LEASE_MS = 30_000;
const RENEW_MS = 10_000;

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

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

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = config.redisPrefix;
    if (config.redisUrl)
      this.redis = createRedis(config.redisUrl, 'agent locks', { maxRetriesPerRequest: 3 });
  }

  async withLock<T>(agentId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(agentId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(agentId, tail);
    await previous;
    const unlock = this.redis ? await this.acquireShared(agentId) : undefined;
    try {
      return await fn();
    } finally {
      await unlock?.();
      release();
      if (this.tails.get(agentId) === tail) this.tails.delete(agentId);
    }
  }

  private async acquireShared(agentId: string): Promise<() => Promise<void>> {
    const redis = this.redis!;
    const key = `${this.prefix}:lock:agent:${agentId}`;
    const token = randomUUID();
    for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
      if ((await redis.set(key, token, 'PX', LEASE_MS, 'NX')) === 'OK') break;
      await new Promise((r) => setTimeout(r, wait));
    }
    const renew = setInterval(() => {
      redis
        .eval(RENEW, 1, key, token, String(LEASE_MS))
        .catch((err: Error) => this.logger.warn(`lock renewal: ${err.message}`));
    }, RENEW_MS);
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
