import { createServer } from 'node:net';
import { Client } from 'pg';
import { textArrayParam } from './insert-sql';
import { EMBEDDED_POOL_SIZE, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

/** Resolves once something can listen on the port again, i.e. the embedded server let go of it. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('startEmbeddedPostgres', () => {
  let pg: EmbeddedPostgres;
  let client: Client;

  beforeAll(async () => {
    pg = await startEmbeddedPostgres({ dataDir: 'memory://' });
    client = new Client({ connectionString: pg.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end().catch(() => undefined);
    await pg?.stop();
  });

  it('serves a loopback URL on a port the OS picked', () => {
    expect(pg.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(new URL(pg.url).port).not.toBe('0');
    expect(EMBEDDED_POOL_SIZE).toBe(1);
  });

  it('has pgvector installed', async () => {
    const { rows } = await client.query(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`);
    expect(rows).toHaveLength(1);
  });

  it('answers vector (HNSW) and full-text (GIN on a generated tsvector) queries', async () => {
    await client.query(`
      CREATE TABLE passages (
        id int PRIMARY KEY,
        body text NOT NULL,
        embedding vector(3) NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED
      )`);
    await client.query(
      'CREATE INDEX passages_embedding ON passages USING hnsw (embedding vector_cosine_ops)',
    );
    await client.query('CREATE INDEX passages_tsv ON passages USING gin (tsv)');
    await client.query(
      `INSERT INTO passages (id, body, embedding) VALUES
         (1, 'The cats were running in the garden', '[1,0,0]'),
         (2, 'Dogs bark at the postman', '[0,1,0]'),
         (3, 'A cat sleeps on the sofa', '[0.9,0.1,0]')`,
    );

    const nearest = await client.query('SELECT id FROM passages ORDER BY embedding <=> $1 LIMIT 2', [
      '[1,0,0]',
    ]);
    expect(nearest.rows.map((r) => r.id)).toEqual([1, 3]);

    const text = await client.query(
      `SELECT id FROM passages WHERE tsv @@ plainto_tsquery('english', $1) ORDER BY id`,
      ['cat'],
    );
    expect(text.rows.map((r) => r.id)).toEqual([1, 3]); // 'cats' stems to 'cat'

    // Both indexes are usable by the planner, not only present.
    await client.query('SET enable_seqscan = off');
    const plans = await Promise.all([
      client.query(`EXPLAIN SELECT id FROM passages ORDER BY embedding <=> '[1,0,0]' LIMIT 2`),
      client.query(`EXPLAIN SELECT id FROM passages WHERE tsv @@ plainto_tsquery('english', 'cat')`),
    ]);
    await client.query('RESET enable_seqscan');
    const [vectorPlan, textPlan] = plans.map((p) => p.rows.map((r) => r['QUERY PLAN']).join('\n'));
    expect(vectorPlan).toContain('passages_embedding');
    expect(textPlan).toContain('passages_tsv');
  });

  it('gives a new connection a clean session (a pool reconnecting keeps working)', async () => {
    const first = new Client({ connectionString: pg.url });
    await first.connect();
    await first.query({ name: 'by_name', text: 'SELECT $1::int AS v', values: [1] });
    await first.query(`SET application_name = 'first'`);
    await first.end();

    const second = new Client({ connectionString: pg.url });
    await second.connect();
    try {
      const { rows } = await second.query({ name: 'by_name', text: 'SELECT $1::int AS v', values: [2] });
      expect(rows).toEqual([{ v: 2 }]);
      expect((await second.query('SHOW application_name')).rows[0].application_name).toBe('');
    } finally {
      await second.end();
    }
  });

  it('reads a text array parameter written by textArrayParam as the array it was', async () => {
    const cases: string[][] = [
      [],
      ['message-1b2c', 'message-3d4e'],
      ['NULL', 'null', '', 'a,b', '{x}', ' spaced ', 'ünï', '😀'],
      ['has "quote"', 'back\\slash'],
    ];
    for (const values of cases) {
      const param = textArrayParam(values);
      // Only values without a quote or backslash become array text; the rest go to pg as they are.
      expect(typeof param === 'string').toBe(!values.some((v) => /["\\]/.test(v)));
      const { rows } = await client.query('SELECT $1::text[] AS a', [param]);
      expect(rows[0].a).toEqual(values);
    }
    expect(textArrayParam([1, 2])).toEqual([1, 2]);
  });

  it('frees its port on stop, and stop() can be called twice', async () => {
    const first = await startEmbeddedPostgres({ dataDir: 'memory://' });
    const port = Number(new URL(first.url).port);
    const other = new Client({ connectionString: first.url });
    other.on('error', () => undefined); // the server hangs up on it below
    await other.connect();
    await first.stop(); // with a client still connected
    await first.stop();
    await other.end().catch(() => undefined);
    await expect(canListen(port)).resolves.toBe(true);
  });
});
