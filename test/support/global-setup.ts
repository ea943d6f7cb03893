import { DataSource, DataSourceOptions } from 'typeorm';
import { typeOrmOptions } from '../../src/database/database.module';
import { createScratchDatabase } from './scratch-database';

/**
 * With DATABASE_URL set, the suite gets a fresh database of its own on that server, migrated
 * once here; the workers inherit its URL. Without it, each worker starts an embedded Postgres
 * in memory that migrates itself.
 */
export default async function globalSetup(): Promise<void> {
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn';
  // Runs of the suite that share one Redis (parallel checkouts, CI beside a developer) must not
  // see each other's locks, queues or event streams.
  process.env.ENGRAM_REDIS_PREFIX ??= `engram-test-${process.pid}-${Date.now()}`;
  const base = process.env.DATABASE_URL;
  if (!base) {
    process.env.ENGRAM_DATA_DIR = 'memory://';
    return;
  }
  if (process.env.ENGRAM_TEST_DATABASE_URL) return; // another project of this run made it already
  const url = await createScratchDatabase(base, `engram_test_${process.pid}_${Date.now()}`);
  const ds = new DataSource({ ...(typeOrmOptions(url, 2, false) as DataSourceOptions), entities: [] });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  process.env.ENGRAM_TEST_BASE_DATABASE_URL = base;
  process.env.ENGRAM_TEST_DATABASE_URL = url;
  process.env.DATABASE_URL = url;
  process.env.ENGRAM_MIGRATE_ON_START = 'false';
}
