import { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

interface Window {
  hits: number;
  /** When the current window ends (ms since epoch). */
  endsAt: number;
  /** Blocked until (ms since epoch), 0 when not blocked. */
  blockedUntil: number;
}

const SWEEP_MS = 60_000;

/**
 * Rate-limit counts in process (no REDIS_URL): a fixed window per key, as the Redis storage
 * counts, in O(1) per request. (The throttler's own in-memory storage keeps one timestamp per
 * hit and filters them on every request: its cost grows with the limit.)
 */
export class FixedWindowThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || (w.endsAt <= now && w.blockedUntil <= now)) {
      w = { hits: 0, endsAt: now + ttl, blockedUntil: 0 };
      this.windows.set(key, w);
    } else if (w.blockedUntil && w.blockedUntil <= now) {
      // The block is over: start afresh, as the Redis script does.
      w.hits = 0;
      w.endsAt = now + ttl;
      w.blockedUntil = 0;
    } else if (w.endsAt <= now) {
      w.hits = 0;
      w.endsAt = now + ttl;
    }
    w.hits++;
    if (!w.blockedUntil && w.hits > limit) w.blockedUntil = now + blockDuration;
    return {
      totalHits: w.hits,
      timeToExpire: Math.ceil((w.endsAt - now) / 1000),
      isBlocked: w.blockedUntil > now,
      timeToBlockExpire: w.blockedUntil > now ? Math.ceil((w.blockedUntil - now) / 1000) : 0,
    };
  }

  get size(): number {
    return this.windows.size;
  }

  /** Forgets windows that ended and are not blocked. */
  sweep(now = Date.now()): void {
    for (const [key, w] of this.windows)
      if (w.endsAt <= now && w.blockedUntil <= now) this.windows.delete(key);
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }
}
