import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { lockDataDir } from './data-dir-lock';
import { EMBEDDED_POOL_SIZE, startEmbeddedPostgres } from './embedded-postgres';
import { MIGRATIONS } from './migrations';

export function embeddedDataDir(config: AppConfig): string {
  return config.dataDir.startsWith('memory://') ? config.dataDir : join(config.dataDir, 'pgdata');
}

/**
 * `genericPlans`: the session plans named prepared statements once (plan_cache_mode), not at
 * every bind. Those are the hot reads by id (`preparedRead`), whose best plan does not depend on
 * the values; without it Postgres re-plans the run-context read, a few dozen subqueries, at each
 * step (about 0.5 ms). It covers unnamed statements with parameters too (TypeORM's queries): a
 * statement whose best plan depends on its values sets `plan_cache_mode = force_custom_plan`
 * for itself (the archival search, PassagesRepository.hybrid).
 */
export function typeOrmOptions(
  url: string,
  poolSize: number,
  migrationsRun: boolean,
  genericPlans = false,
): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    url,
    autoLoadEntities: true,
    synchronize: false,
    migrations: MIGRATIONS,
    migrationsRun,
    migrationsTransactionMode: 'each',
    logging: ['error'],
    // A caller that waits this long for a connection has deadlocked (embedded mode has one): fail loudly.
    extra: {
      max: poolSize,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 20_000,
      ...(genericPlans ? { options: '-c plan_cache_mode=force_generic_plan' } : {}),
    },
  };
}

/**
 * Embedded servers to stop once the DataSource connected to them is destroyed, by URL: Nest
 * copies the options object (adding the entities) before the DataSource factory sees it.
 */
const embeddedStops = new Map<string, () => Promise<void>>();

/**
 * Postgres through TypeORM. With no DATABASE_URL an embedded PGlite (with pgvector) is started
 * on a loopback port; it serves one session, so the pool has one connection. It is stopped
 * right after the pool closes, so shutdown never leaves a client talking to a dead server.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        if (config.database.url) {
          return typeOrmOptions(
            config.database.url,
            config.database.poolSize,
            config.database.migrateOnStart,
            true,
          );
        }
        const dir = embeddedDataDir(config);
        new Logger('Database').log(`No DATABASE_URL: starting embedded Postgres (PGlite) in ${dir}`);
        const unlock = dir.startsWith('memory://') ? () => undefined : lockDataDir(dir);
        const embedded = await startEmbeddedPostgres({ dataDir: dir });
        const options = typeOrmOptions(embedded.url, EMBEDDED_POOL_SIZE, config.database.migrateOnStart);
        embeddedStops.set(embedded.url, async () => {
          embeddedStops.delete(embedded.url);
          await embedded.stop();
          unlock();
        });
        return options;
      },
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options as DataSourceOptions).initialize();
        const url = options && 'url' in options ? options.url : undefined;
        const stop = url ? embeddedStops.get(url) : undefined;
        if (stop) {
          const destroy = dataSource.destroy.bind(dataSource);
          dataSource.destroy = async () => {
            await destroy();
            await stop().catch(() => undefined);
          };
        }
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
