import { Command } from 'commander';

/** `engram migrate`: applies pending migrations to DATABASE_URL (the deploy step). */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description('Apply pending database migrations to DATABASE_URL, then exit')
    .action(async () => {
      const { configOrExit } = await import('../../bootstrap');
      const { migrateCommand: migrate } = await import('../../database/migrate');
      await migrate(configOrExit(process.env));
    });
}
