import 'reflect-metadata';
import { DataSource, DataSourceOptions } from 'typeorm';
import { loadConfig } from '../config/config';
import { typeOrmOptions } from './database.module';

/** `npm run migration:run`: applies pending migrations to DATABASE_URL and exits. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.database.url) {
    console.log('No DATABASE_URL set: the embedded database migrates itself at start-up.');
    return;
  }
  const ds = new DataSource({
    ...(typeOrmOptions(config.database.url, 1, false) as DataSourceOptions),
    entities: [],
  });
  await ds.initialize();
  const applied = await ds.runMigrations({ transaction: 'each' });
  console.log(
    applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'Database is up to date.',
  );
  await ds.destroy();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
