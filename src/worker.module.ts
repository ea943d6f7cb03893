import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { DOMAIN_MODULES, logTraceIds } from './app.module';
import type { AppConfig } from './config/config';
import { APP_CONFIG, ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { ObservabilityModule } from './observability/observability.module';
import type { Tracing } from './observability/tracing';
import { QueueModule } from './queue/queue.module';

/** Where the worker serves `/metrics` when ENGRAM_METRICS_PORT does not say. */
export const WORKER_METRICS_PORT = 9464;

/** The worker process: the same domain modules with queue processors and no HTTP server. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, tracing?: Tracing): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.withConfig(config),
        LoggerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({ pinoHttp: { level: c.logLevel, ...logTraceIds() } }),
        }),
        DatabaseModule,
        ObservabilityModule.forRoot({
          metricsPort: config.metrics.enabled ? (config.metrics.port ?? WORKER_METRICS_PORT) : undefined,
          tracing,
        }),
        QueueModule.forRole('worker'),
        ...DOMAIN_MODULES,
      ],
    };
  }
}
