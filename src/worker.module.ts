import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { DOMAIN_MODULES } from './app.module';
import type { AppConfig } from './config/config';
import { APP_CONFIG, ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';

/** The worker process: the same domain modules with queue processors and no HTTP server. */
@Module({})
export class WorkerModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        config ? ConfigModule.withConfig(config) : ConfigModule,
        LoggerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({ pinoHttp: { level: c.logLevel } }),
        }),
        DatabaseModule,
        ...DOMAIN_MODULES,
      ],
    };
  }
}
