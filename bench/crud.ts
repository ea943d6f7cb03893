/**
 * bench/crud: req/s and p99 of GET /v1/agents/:id and POST /v1/agents on the real app, beside a
 * bare Fastify route running the same single-row pg query in the same process and run, and
 * GET /v1/health (no SQL: what the app itself costs per request).
 *
 *   npm run bench:crud                      # embedded Postgres
 *   DATABASE_URL=postgres://... npm run bench:crud
 *   ENGRAM_ADMIN_KEY=... npm run bench:crud # auth required: every request sends a member API key
 * Each route's SQL round trips per request are counted by a hook on pg's client and printed
 * (BENCH_SQL=1 lists them).
 * Then lists pages of 50 agents with BENCH_LIST_AGENTS (default 10,000) agents in the organization.
 * Env: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 32).
 */
import 'reflect-metadata';
import Fastify from 'fastify';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ThrottlerStorage } from '@nestjs/throttler';
import { CredentialsService } from '../src/auth/credentials.service';
import { load, loadAverage, percentile, printTable, queryCounter, startBenchApp } from './support';

async function main(): Promise<void> {
  const queries = queryCounter();
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const { app, config, base } = await startBenchApp();

  // With auth required, the app's requests carry an API key (its rate limit set out of reach,
  // so the limiter's cost is measured but never answers 429).
  const headers: Record<string, string> = {};
  if (config.auth.mode === 'required') {
    const key = await fetch(`${base}/v1/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${config.auth.adminKey}` },
      body: JSON.stringify({
        name: 'bench',
        organization_id: 'org-00000000-0000-4000-8000-000000000000',
        role: 'member',
        rate_limit_per_minute: 1_000_000_000,
      }),
    }).then((r) => r.json() as Promise<{ key: string }>);
    headers.authorization = `Bearer ${key.key}`;
  }

  const created = await fetch(`${base}/v1/agents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
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
    `bench/crud: ${seconds}s per case, ${connections} connections, db=${config.database.url ? 'postgres' : 'embedded PGlite'}, pool=${poolSize}, auth=${config.auth.mode === 'required' ? 'required (API key)' : 'off'}, load average ${loadAverage()}`,
  );
  // SQL round trips of one request of each measured route, one at a time so nothing else counts.
  const createBody = JSON.stringify({
    model: 'openai/gpt-4o-mini',
    include_base_tools: false,
    memory_blocks: [{ label: 'human', value: 'x' }],
  });
  const roundTrips = async (path: string, method: 'GET' | 'POST', body?: string) => {
    await fetch(base + path, { method, body, headers: { 'content-type': 'application/json', ...headers } });
    queries.take();
    const r = await fetch(base + path, {
      method,
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status}`);
    await r.arrayBuffer();
    const sql = queries.take();
    if (process.env.BENCH_SQL) for (const q of sql) console.log(`    ${q.slice(0, 160)}`);
    return sql.length;
  };
  console.log(
    `SQL round trips per request: GET /v1/agents/:id ${await roundTrips(`/v1/agents/${created.id}`, 'GET')}, ` +
      `POST /v1/agents ${await roundTrips('/v1/agents', 'POST', createBody)}, ` +
      `GET /v1/agents?limit=50 ${await roundTrips('/v1/agents?limit=50', 'GET')}`,
  );
  const results = [];
  results.push(
    await load('bare Fastify + 1-row pg query', {
      url: `http://127.0.0.1:${barePort}/agents/${created.id}`,
      seconds,
      connections,
    }),
  );
  // The app's per-request cost without any SQL (routing, hooks, guards, logging, metrics).
  results.push(
    await load('GET /v1/health (no SQL)', { url: `${base}/v1/health`, headers, seconds, connections }),
  );
  results.push(
    await load('GET /v1/agents/:id', {
      url: `${base}/v1/agents/${created.id}`,
      headers,
      seconds,
      connections,
    }),
  );
  results.push(
    await load('POST /v1/agents', {
      url: `${base}/v1/agents`,
      method: 'POST',
      body: createBody,
      headers,
      seconds,
      connections,
    }),
  );
  printTable(results);
  if (headers.authorization) {
    // The guard's own share of a request: resolving the (cached) key, in process, no HTTP.
    const credentials = app.get(CredentialsService);
    const n = 20_000;
    for (let i = 0; i < 1000; i++) await credentials.authenticate(headers);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await credentials.authenticate(headers);
    const us = Number(process.hrtime.bigint() - t0) / n / 1000;
    console.log(`auth: resolving a cached API key takes ${us.toFixed(2)} µs per request (${n} calls)`);
    const storage = app.get<ThrottlerStorage>(ThrottlerStorage);
    const m = 2_000;
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < m; i++) await storage.increment('bench', 60_000, 1e9, 60_000, 'bench');
    const rl = Number(process.hrtime.bigint() - t1) / m / 1000;
    console.log(
      `auth: one rate-limit count takes ${rl.toFixed(1)} µs (${config.redisUrl ? 'Redis' : 'in process'}, ${m} calls)`,
    );
  }
  const [baseline, , get, post] = results;
  console.log(
    `ratio GET /v1/agents/:id vs bare: ${(get.requestsPerSec / baseline.requestsPerSec).toFixed(2)} (req/s), p99 ${(get.p99 / baseline.p99).toFixed(2)}x`,
  );
  console.log(
    `ratio POST /v1/agents vs bare GET: ${(post.requestsPerSec / baseline.requestsPerSec).toFixed(2)} (req/s)`,
  );

  // Listing with many agents in the organization: BENCH_LIST_AGENTS copies of the first agent
  // (its blocks and tools linked), then sequential pages of 50, full and trimmed by `include`.
  const listN = Number(process.env.BENCH_LIST_AGENTS ?? 10_000);
  await new Promise((r) => setTimeout(r, 1000));
  await ds.query(
    `WITH src AS (SELECT * FROM agents WHERE id = $1),
     n AS (INSERT INTO agents (id, organization_id, name, agent_type, system, model, embedding, llm_config,
             embedding_config, tool_rules, timezone, created_at)
           SELECT 'agent-' || gen_random_uuid(), organization_id, 'bulk-' || g, agent_type, system, model,
             embedding, llm_config, embedding_config, tool_rules, timezone, now() - g * interval '1 ms'
           FROM src, generate_series(1, $2) g RETURNING id, organization_id),
     b AS (INSERT INTO blocks_agents (organization_id, agent_id, block_id, block_label)
           SELECT n.organization_id, n.id, ba.block_id, ba.block_label FROM n, blocks_agents ba WHERE ba.agent_id = $1)
     INSERT INTO tools_agents (organization_id, agent_id, tool_id)
     SELECT n.organization_id, n.id, ta.tool_id FROM n, tools_agents ta WHERE ta.agent_id = $1`,
    [created.id, listN],
  );
  await ds.query('ANALYZE');
  const total = Number((await ds.query('SELECT count(*) AS n FROM agents'))[0].n);
  const listCase = async (label: string, query: string) => {
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      const r = await fetch(`${base}/v1/agents?limit=50${query}`, { headers });
      const body = (await r.json()) as unknown[];
      if (body.length !== 50) throw new Error(`${label}: ${body.length} agents`);
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    console.log(
      `${label.padEnd(44)} p50 ${percentile(times, 50).toFixed(2)} ms  p99 ${percentile(times, 99).toFixed(2)} ms`,
    );
  };
  console.log(`list agents, ${total} agents in the organization, 100 sequential pages of 50:`);
  await listCase('GET /v1/agents?limit=50', '');
  await listCase('GET /v1/agents?limit=50&include=agent.tags', '&include=agent.tags');
  console.log(`load average ${loadAverage()}`);

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
