import { Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import Redis from 'ioredis';
import { createRedis } from '../common/redis';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { HealthController } from './health.controller';
import { REDIS_HEALTH, RedisHealth } from './redis.health';

class RedisHealthLifecycle implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS_HEALTH) private readonly health?: RedisHealth | null) {}
  async onApplicationShutdown() {
    (this.health as unknown as { redis?: Redis } | null)?.redis?.disconnect();
  }
}

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [
    {
      provide: REDIS_HEALTH,
      inject: [APP_CONFIG, HealthIndicatorService],
      useFactory: (config: AppConfig, indicators: HealthIndicatorService) =>
        config.redisUrl
          ? new RedisHealth(
              createRedis(config.redisUrl, 'readiness', { lazyConnect: true, maxRetriesPerRequest: 1 }),
              indicators,
            )
          : null,
    },
    RedisHealthLifecycle,
  ],
})
export class HealthModule {}
