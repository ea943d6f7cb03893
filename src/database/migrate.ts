import 'reflect-metadata';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig, loadConfig } from '../config/config';
import { typeOrmOptions } from './database.module';

/**
 * Applies pending migrations to DATABASE_URL and returns their names (empty: up to date), or
 * undefined with no DATABASE_URL (the embedded database migrates itself at start-up).
 */
export async function runMigrations(config: AppConfig): Promise<string[] | undefined> {
  if (!config.database.url) return undefined;
  const ds = new DataSource({
    ...(typeOrmOptions(config.database.url, 1, false) as DataSourceOptions),
    entities: [],
  });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

/** `engram migrate` and `npm run migration:run`. */
export async function migrateCommand(config: AppConfig): Promise<void> {
  const applied = await runMigrations(config);
  if (!applied) console.log('No DATABASE_URL set: the embedded database migrates itself at start-up.');
  else console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
}

if (require.main === module) {
  migrateCommand(loadConfig()).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
