import { dropScratchDatabase } from './scratch-database';

/** Drops the database global-setup made, so repeated runs leave nothing behind. */
export default async function globalTeardown(): Promise<void> {
  const base = process.env.ENGRAM_TEST_BASE_DATABASE_URL;
  const url = process.env.ENGRAM_TEST_DATABASE_URL;
  if (!base || !url) return;
  await dropScratchDatabase(base, url);
  delete process.env.ENGRAM_TEST_DATABASE_URL;
  delete process.env.ENGRAM_TEST_BASE_DATABASE_URL;
  process.env.DATABASE_URL = base;
}
