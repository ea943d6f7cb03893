import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { LocalRunEventBus } from './local-run-event-bus';
import { RedisRunEventBus } from './redis-run-event-bus';
import { RunEventBus } from './run-event-bus';

/** The run event bus (Redis with REDIS_URL, in-process without) and the SSE writer. */
@Global()
@Module({
  providers: [
    {
      provide: RunEventBus,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): RunEventBus =>
        config.redisUrl
          ? new RedisRunEventBus(config.redisUrl, config.redisPrefix, config.runs.eventsTtlMs)
          : new LocalRunEventBus(Math.min(config.runs.eventsTtlMs, 10 * 60_000)),
    },
  ],
  exports: [RunEventBus],
})
export class StreamingModule {}
