import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { startTestApp } from '../support/app';

const embedded = !process.env.DATABASE_URL;

describe('shutdown (e2e)', () => {
  // Only embedded mode owns its database server; with DATABASE_URL the server is not ours to stop.
  (embedded ? it : it.skip)('stops the embedded Postgres when the app closes', async () => {
    const t = await startTestApp();
    const url = (t.app.get(DataSource).options as { url: string }).url;
    const before = new Client({ connectionString: url });
    await before.connect();
    expect((await before.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await before.end();

    await t.close();
    const after = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await expect(after.connect()).rejects.toThrow();
  });
});
