import { Client } from 'pg';

/** Drops the database global-setup made, so repeated runs leave nothing behind. */
export default async function globalTeardown(): Promise<void> {
  const base = process.env.ENGRAM_TEST_BASE_DATABASE_URL;
  const url = process.env.ENGRAM_TEST_DATABASE_URL;
  if (!base || !url) return;
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  delete process.env.ENGRAM_TEST_DATABASE_URL;
  delete process.env.ENGRAM_TEST_BASE_DATABASE_URL;
  process.env.DATABASE_URL = base;
}
