import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { LocalRunEventBus } from './local-run-event-bus';
import { RedisRunEventBus } from './redis-run-event-bus';
import { RunEventBus } from './run-event-bus';
import { RunSources } from './run-source';

/**
 * Streaming: the run event bus (Redis with REDIS_URL, in-process without), the SSE writer
 * (sse.ts) and the `/ws` gateway (ws/, imported by the API process as WsGatewayModule). It
 * imports nothing from runs: the runs module binds its `RunSource` into `RunSources`.
 */
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
    RunSources,
  ],
  exports: [RunEventBus, RunSources],
})
export class StreamingModule {}
