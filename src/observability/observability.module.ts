import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics.server';
import { MetricsService, PoolStats } from './metrics.service';
import { SqlSpans } from './sql-spans';
import { Tracing, tracingActive } from './tracing';

export interface ObservabilityOptions {
  /** Serve `/metrics` on a listener of its own, on this port (0: any free port). */
  metricsPort?: number;
  /** Serve `/metrics` on the application's HTTP port. */
  metricsRoute?: boolean;
  /** The process's tracing, flushed and stopped when the application closes. */
  tracing?: Tracing;
}

const OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

/** Starts and stops the separate `/metrics` listener, when there is one. */
@Injectable()
export class MetricsEndpoint implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private listener?: MetricsListener;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OPTIONS) private readonly options: ObservabilityOptions,
  ) {}

  /** The separate listener's port, when there is one. */
  get port(): number | undefined {
    return this.listener?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.metricsPort === undefined) return;
    const listener = new MetricsListener(this.metrics, {
      host: this.config.metrics.host,
      port: this.options.metricsPort,
      token: this.config.metrics.token,
    });
    await listener.start();
    this.listener = listener;
    this.logger.log(`Metrics on http://${this.config.metrics.host}:${listener.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.stop();
    await this.options.tracing?.shutdown();
  }
}

/** Points the pool gauges at TypeORM's `pg` pool, and adds the SQL spans when tracing is on. */
@Injectable()
export class DatabaseObservability implements OnApplicationBootstrap {
  constructor(
    private readonly metrics: MetricsService,
    private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.observePool((this.dataSource.driver as unknown as { master?: PoolStats }).master);
    if (tracingActive() && !this.dataSource.subscribers.some((s) => s instanceof SqlSpans)) {
      this.dataSource.subscribers.push(new SqlSpans());
    }
  }
}

/** Metrics and traces for the process: one `MetricsService` every module can record to. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: options.metricsRoute ? [MetricsController] : [],
      providers: [
        { provide: OPTIONS, useValue: options },
        MetricsService,
        MetricsEndpoint,
        DatabaseObservability,
      ],
      exports: [MetricsService, MetricsEndpoint],
    };
  }
}
