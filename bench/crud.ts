/**
 * bench/crud: req/s and p99 of GET /v1/agents/:id and POST /v1/agents on the real app, beside a
 * bare Fastify route running the same single-row pg query in the same process and run.
 *
 *   npm run bench:crud                      # embedded Postgres
 *   DATABASE_URL=postgres://... npm run bench:crud
 * Env: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 32).
 */
import 'reflect-metadata';
import Fastify from 'fastify';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { load, printTable } from './support';

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'error',
    PORT: '0',
    ENGRAM_DATA_DIR: process.env.ENGRAM_DATA_DIR ?? 'memory://',
    ENGRAM_MIGRATE_ON_START: 'true',
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;

  const created = await fetch(`${base}/v1/agents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'openai/gpt-4o-mini',
      memory_blocks: [{ label: 'human', value: 'bench' }],
    }),
  }).then((r) => r.json() as Promise<{ id: string }>);

  // Fresh tables have no planner statistics; analyze as autovacuum would on a live database.
  await app.get(DataSource).query('ANALYZE');

  // The baseline: a bare Fastify route with its own pg pool of the same size, same query shape.
  const ds = app.get(DataSource);
  const url = (ds.options as { url: string }).url;
  const poolSize = (ds.options as { extra?: { max?: number } }).extra?.max ?? 10;
  const pool = new Pool({ connectionString: url, max: poolSize });
  const bare = Fastify();
  bare.get('/agents/:id', async (req) => {
    const { rows } = await pool.query('SELECT * FROM agents WHERE organization_id = $1 AND id = $2', [
      'org-00000000-0000-4000-8000-000000000000',
      (req.params as { id: string }).id,
    ]);
    return rows[0];
  });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const barePort = (bare.server.address() as { port: number }).port;

  console.log(
    `bench/crud: ${seconds}s per case, ${connections} connections, db=${config.database.url ? 'postgres' : 'embedded PGlite'}, pool=${poolSize}`,
  );
  const results = [];
  results.push(
    await load('bare Fastify + 1-row pg query', {
      url: `http://127.0.0.1:${barePort}/agents/${created.id}`,
      seconds,
      connections,
    }),
  );
  results.push(
    await load('GET /v1/agents/:id', { url: `${base}/v1/agents/${created.id}`, seconds, connections }),
  );
  results.push(
    await load('POST /v1/agents', {
      url: `${base}/v1/agents`,
      method: 'POST',
      body: JSON.stringify({
        model: 'openai/gpt-4o-mini',
        include_base_tools: false,
        memory_blocks: [{ label: 'human', value: 'x' }],
      }),
      seconds,
      connections,
    }),
  );
  printTable(results);
  const [baseline, get, post] = results;
  console.log(
    `ratio GET /v1/agents/:id vs bare: ${(get.requestsPerSec / baseline.requestsPerSec).toFixed(2)} (req/s), p99 ${(get.p99 / baseline.p99).toFixed(2)}x`,
  );
  console.log(
    `ratio POST /v1/agents vs bare GET: ${(post.requestsPerSec / baseline.requestsPerSec).toFixed(2)} (req/s)`,
  );

  // Let requests autocannon left in flight finish before the pools close.
  await new Promise((r) => setTimeout(r, 1000));
  await bare.close();
  await pool.end();
  await app.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
