import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

/**
 * The auth module's Redis connections (none without REDIS_URL): one for commands (rate limits,
 * WebSocket connection counts) and one subscribed to principal-cache invalidations. Every key
 * and channel starts with `config.redisPrefix`.
 */
@Injectable()
export class AuthRedis implements OnModuleDestroy {
  readonly prefix: string;
  private client?: Redis;
  private subscriber?: Redis;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.prefix = config.redisPrefix;
  }

  get enabled(): boolean {
    return Boolean(this.config.redisUrl);
  }

  /** The command connection, or undefined without REDIS_URL. */
  commands(): Redis | undefined {
    if (!this.config.redisUrl) return undefined;
    return (this.client ??= new Redis(this.config.redisUrl, { maxRetriesPerRequest: 2 }));
  }

  /** A connection in subscriber mode, or undefined without REDIS_URL. */
  subscriptions(): Redis | undefined {
    if (!this.config.redisUrl) return undefined;
    return (this.subscriber ??= new Redis(this.config.redisUrl, { maxRetriesPerRequest: null }));
  }

  onModuleDestroy(): void {
    this.client?.disconnect();
    this.subscriber?.disconnect();
  }
}
