import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthPrincipal } from '../common/auth/principal';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AuthRedis } from './auth-redis';
import { credentialKey } from './credentials.service';

/** A held connection slot; `release()` when the socket closes (idempotent). */
export interface WsLease {
  release(): Promise<void>;
}

/** A slot not renewed for this long is considered gone (its process died without releasing it). */
const LEASE_MS = 60_000;
const RENEW_MS = 20_000;

/** Drops lapsed slots, then takes one if fewer than the cap are held. Returns 1 when taken. */
const ACQUIRE = `
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('zadd', KEYS[1], ARGV[3], ARGV[4])
redis.call('pexpire', KEYS[1], ARGV[5])
return 1`;

/**
 * Caps open WebSocket connections per credential (`ENGRAM_WS_MAX_CONNECTIONS_PER_KEY`, default
 * 10): across every replica with Redis (a sorted set of leased slots per credential, renewed while
 * open, so a crashed process's slots lapse), in process without. For the `/ws` gateway:
 *
 *   const lease = await limiter.acquire(principal);
 *   if (!lease) return socket.close(1008, 'Too many connections for this credential');
 *   socket.on('close', () => void lease.release());
 */
@Injectable()
export class WsConnectionLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(WsConnectionLimiter.name);
  private readonly max: number;
  /** Slots held by this process: key → slot ids. */
  private readonly held = new Map<string, Set<string>>();
  private renewTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: AuthRedis,
  ) {
    this.max = config.auth.wsMaxConnectionsPerKey;
  }

  get maxPerCredential(): number {
    return this.max;
  }

  /** A slot for one more connection of this credential, or null at the cap. */
  async acquire(p: AuthPrincipal): Promise<WsLease | null> {
    const key = `${this.redis.prefix}:ws:conn:${credentialKey(p)}`;
    const slot = randomUUID();
    const client = this.redis.commands();
    if (client) {
      const now = Date.now();
      const taken = await client.eval(
        ACQUIRE,
        1,
        key,
        String(now),
        String(this.max),
        String(now + LEASE_MS),
        slot,
        String(LEASE_MS),
      );
      if (taken !== 1) return null;
    } else if ((this.held.get(key)?.size ?? 0) >= this.max) {
      return null;
    }
    const slots = this.held.get(key) ?? new Set<string>();
    slots.add(slot);
    this.held.set(key, slots);
    if (client) this.startRenewing();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        const mine = this.held.get(key);
        mine?.delete(slot);
        if (mine?.size === 0) this.held.delete(key);
        await client
          ?.zrem(key, slot)
          .catch((err: Error) => this.logger.warn(`releasing a ws slot: ${err.message}`));
      },
    };
  }

  /** Connections this process holds for a credential key (for tests and metrics). */
  heldBy(p: AuthPrincipal): number {
    return this.held.get(`${this.redis.prefix}:ws:conn:${credentialKey(p)}`)?.size ?? 0;
  }

  private startRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => void this.renew(), RENEW_MS);
    this.renewTimer.unref();
  }

  private async renew(): Promise<void> {
    const client = this.redis.commands();
    if (!client || this.held.size === 0) return;
    const until = String(Date.now() + LEASE_MS);
    const pipeline = client.pipeline();
    for (const [key, slots] of this.held) {
      for (const slot of slots) pipeline.zadd(key, 'XX', until, slot);
      pipeline.pexpire(key, LEASE_MS);
    }
    await pipeline.exec().catch((err: Error) => this.logger.warn(`renewing ws slots: ${err.message}`));
  }

  onModuleDestroy(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
  }
}
