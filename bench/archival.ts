/**
 * bench/archival: archival memory at scale, on the real app and the real database.
 *
 *   1. insert throughput: N passages through POST /v1/archives/:id/passages/batch (local embedder,
 *      so the figure is Engram + Postgres/pgvector, not a remote model): a shared archive of
 *      N - 5k and an agent's own archive of 5k, two batches in flight; then where an insert's time
 *      goes (the same 500 rows inserted in SQL with and without the HNSW index);
 *   2. hybrid search (POST /v1/passages/search on the large archive, and the agent's archival
 *      search on an agent attached to it): p50/p99 and req/s, recall@10 against the exact result
 *      (the same search with an exact vector sort), and the full-text leg before/after;
 *   3. per-agent search (the agent with 5k passages): p50 and whether every result is the exact one;
 *   4. recall@10 of the HNSW index against an exact scan of the same rows, for the same query
 *      vectors, at several hnsw.ef_search values, with the latency of each;
 *   5. below 1M passages, an extrapolation to 1M from this run's sizes and counts.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:archival
 * Env: BENCH_PASSAGES (default 100000), BENCH_AGENT_PASSAGES (5000), BENCH_BATCH (500),
 *      BENCH_QUERIES (200), BENCH_CONCURRENCY (4), BENCH_KEEP_DB (set: keep the database for
 *      inspection). Without DATABASE_URL it runs on embedded PGlite (slow; use fewer passages).
 *      With DATABASE_URL it works in a fresh database of its own, dropped at the end.
 */
import 'reflect-metadata';
import { toSql } from 'pgvector';
import { DataSource } from 'typeorm';
import { LocalEmbedder } from '@engram/embeddings';
import { createApp } from '../src/app.factory';
import { ArchivalMemoryService } from '../src/archival/archival-memory.service';
import { fuse, ftsPairsQuerySql, ftsQuerySql } from '../src/archival/hybrid';
import { loadConfig } from '../src/config/config';
import { createScratchDatabase, dropScratchDatabase } from '../test/support/scratch-database';
import { loadAverage, percentile } from './support';

const N = Number(process.env.BENCH_PASSAGES ?? 100_000);
const AGENT_N = Math.min(Number(process.env.BENCH_AGENT_PASSAGES ?? 5_000), Math.floor(N / 4));
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);

/** A deterministic pseudo-random stream, so every run loads the same corpus. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A synthetic corpus with structure: 200 topics, each with its own 40 words, plus a shared pool
 * of common words. A passage is mostly words of one topic, so near neighbours exist and the
 * vector and full-text legs have something real to find.
 */
function corpus(count: number): { texts: string[]; tags: string[][]; queries: string[]; sources: number[] } {
  const rand = rng(42);
  const syllables = [
    'ka',
    'lo',
    'mi',
    'ran',
    'te',
    'vos',
    'qui',
    'dor',
    'sel',
    'ny',
    'pha',
    'gru',
    'zel',
    'tor',
    'bex',
    'wi',
  ];
  const word = () => {
    const n = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += syllables[Math.floor(rand() * syllables.length)];
    return w;
  };
  const common = Array.from({ length: 300 }, word);
  const topics = Array.from({ length: 200 }, () => Array.from({ length: 40 }, word));
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const texts: string[] = [];
  const tags: string[][] = [];
  for (let i = 0; i < count; i++) {
    const topic = Math.floor(rand() * topics.length);
    const len = 12 + Math.floor(rand() * 14);
    const words: string[] = [];
    for (let j = 0; j < len; j++) words.push(rand() < 0.7 ? pick(topics[topic]) : pick(common));
    texts.push(words.join(' '));
    tags.push([`topic-${topic % 20}`, ...(rand() < 0.1 ? ['flagged'] : [])]);
  }
  // Queries: four words of a random passage (the user remembers part of it).
  const sources: number[] = [];
  const queries = Array.from({ length: QUERIES }, () => {
    const source = Math.floor(rand() * texts.length);
    sources.push(source);
    const words = texts[source].split(' ');
    const start = Math.floor(rand() * Math.max(1, words.length - 4));
    return words.slice(start, start + 4).join(' ');
  });
  return { texts, tags, queries, sources };
}

async function call(method: string, url: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
const post = (url: string, body: unknown) => call('POST', url, body);

const fmt = (ms: number) => ms.toFixed(2).padStart(8);
const load = () => `(load ${loadAverage()})`;
function stats(lat: number[]): string {
  const s = [...lat].sort((a, b) => a - b);
  return `p50 ${fmt(percentile(s, 50))} ms  p99 ${fmt(percentile(s, 99))} ms`;
}
/** Share of `truth`'s first k ids that `got`'s first k contain, over all queries. */
function recallAt(k: number, got: string[][], truth: string[][]): number {
  let hit = 0;
  let all = 0;
  got.forEach((g, i) => {
    const t = new Set(truth[i].slice(0, k));
    hit += g.slice(0, k).filter((id) => t.has(id)).length;
    all += t.size;
  });
  return all === 0 ? 1 : hit / all;
}

async function timed<T>(lat: number[], fn: () => Promise<T>): Promise<T> {
  const s = performance.now();
  const out = await fn();
  lat.push(performance.now() - s);
  return out;
}

async function main(): Promise<void> {
  const base = process.env.DATABASE_URL;
  const dbUrl = base ? await createScratchDatabase(base, `engram_bench_archival_${process.pid}`) : undefined;
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: dbUrl,
    LOG_LEVEL: 'error',
    PORT: '0',
    ENGRAM_DATA_DIR: process.env.ENGRAM_DATA_DIR ?? 'memory://',
    ENGRAM_MIGRATE_ON_START: 'true',
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  const api = `http://127.0.0.1:${port}/v1`;
  const ds = app.get(DataSource);
  const memory = app.get(ArchivalMemoryService);

  try {
    console.log(
      `bench/archival: ${N} passages (${N - AGENT_N} in a shared archive, ${AGENT_N} in an agent's own), ` +
        `batches of ${BATCH}, db=${dbUrl ? 'postgres' : 'embedded PGlite'} ${load()}`,
    );
    const { texts, tags, queries, sources } = corpus(N);
    const newArchive = async (name: string) =>
      ((await post(`${api}/archives`, { name, embedding: 'local/hash-embedding-v1' })) as { id: string }).id;
    const shared = await newArchive('bench');
    const own = await newArchive('bench-agent-own');
    const newAgent = async (name: string, archive: string) => {
      const { id } = (await post(`${api}/agents`, {
        name,
        model: 'openai/gpt-4o-mini',
        embedding: 'local/hash-embedding-v1',
      })) as { id: string };
      await call('PATCH', `${api}/agents/${id}/archives/attach/${archive}`);
      return id;
    };
    const sharedAgent = await newAgent('bench-reader', shared);
    const ownAgent = await newAgent('bench-owner', own);
    const [{ organization_id: orgId, created_by_id: userId }] = await ds.query(
      `SELECT organization_id, created_by_id FROM archives WHERE id = $1`,
      [shared],
    );
    const principal = { organizationId: orgId as string, userId: userId as string };

    // 1. Insert throughput (two batches in flight: one embedding while the other commits).
    // Every 20th passage goes to the agent's own archive, so its rows are spread over the table.
    const t0 = performance.now();
    const batchTimes: number[] = [];
    const ownIdx = new Set(Array.from({ length: AGENT_N }, (_, i) => Math.floor((i * N) / AGENT_N)));
    const order = Array.from({ length: N }, (_, i) => i);
    const groups = [order.filter((i) => !ownIdx.has(i)), order.filter((i) => ownIdx.has(i))];
    const jobs: { archive: string; rows: number[] }[] = [];
    for (let i = 0, j = 0; i < groups[0].length || j < groups[1].length;) {
      // Interleave: one batch of the agent's per 19 of the shared archive.
      if (j < groups[1].length && (i >= groups[0].length || (jobs.length + 1) % 20 === 0)) {
        jobs.push({ archive: own, rows: groups[1].slice(j, j + BATCH) });
        j += BATCH;
      } else {
        jobs.push({ archive: shared, rows: groups[0].slice(i, i + BATCH) });
        i += BATCH;
      }
    }
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        await timed(batchTimes, () =>
          post(`${api}/archives/${job.archive}/passages/batch`, {
            passages: job.rows.map((i) => ({ text: texts[i], tags: tags[i] })),
          }),
        );
        done += job.rows.length;
        if (done % 10_000 < BATCH) process.stdout.write(`  ${done} inserted\r`);
      }
    };
    await Promise.all([worker(), worker()]);
    const insertSec = (performance.now() - t0) / 1000;
    batchTimes.sort((a, b) => a - b);
    console.log(
      `insert: ${N} passages in ${insertSec.toFixed(1)} s = ${(N / insertSec).toFixed(0)} passages/s ` +
        `(batch of ${BATCH}: p50 ${percentile(batchTimes, 50).toFixed(0)} ms, p99 ${percentile(batchTimes, 99).toFixed(0)} ms) ${load()}`,
    );
    if (dbUrl) {
      // Where the time goes: the same 500 rows copied in SQL (no HTTP, no embedding), with and
      // without the HNSW index, each in a transaction that is rolled back.
      const copy = `INSERT INTO passages (id, organization_id, archive_id, text, tags, embedding, embedding_dim)
        SELECT id || '-copy', organization_id, archive_id, text, tags, embedding, embedding_dim FROM passages LIMIT 500`;
      const runner = ds.createQueryRunner();
      await runner.connect();
      try {
        const ms: number[] = [];
        for (const dropHnsw of [false, true]) {
          await runner.startTransaction();
          if (dropHnsw) await runner.query('DROP INDEX passages_embedding_384_hnsw');
          const s = performance.now();
          await runner.query(copy);
          ms.push(performance.now() - s);
          await runner.rollbackTransaction();
        }
        console.log(
          `  the same 500 rows in SQL: ${ms[0].toFixed(0)} ms with the HNSW index (${((500 * 1000) / ms[0]).toFixed(0)} rows/s), ` +
            `${ms[1].toFixed(0)} ms without it (${((500 * 1000) / ms[1]).toFixed(0)} rows/s) ${load()}`,
        );
      } finally {
        await runner.release();
      }
    }
    await ds.query('VACUUM ANALYZE passages'); // what autovacuum does after a bulk load

    // 2. Hybrid search through the REST endpoint: sequential latency, then concurrent throughput.
    const search = (query: string, extra: Record<string, unknown> = {}) =>
      post(`${api}/passages/search`, { archive_id: shared, query, limit: 10, ...extra }) as Promise<
        Array<{ passage: { id: string; text: string } }>
      >;
    const agentSearch = async (agent: string, query: string) =>
      (
        (await call(
          'GET',
          `${api}/agents/${agent}/archival-memory/search?${new URLSearchParams({ query, top_k: '10' })}`,
        )) as { results: Array<{ id: string }> }
      ).results.map((r) => r.id);
    const exactSearch = async (scope: { archiveId?: string; agentId?: string }, query: string) =>
      (await memory.search(principal, scope, query, {}, 10, { exact: true })).map((h) => h.item.id);
    for (const q of queries.slice(0, 10)) await search(q); // warm caches and the planner
    const lat: number[] = [];
    const got: string[][] = [];
    let foundSource = 0;
    let fromShared = 0;
    for (const [i, q] of queries.entries()) {
      const hits = await timed(lat, () => search(q));
      got.push(hits.map((h) => h.passage.id));
      if (ownIdx.has(sources[i])) continue;
      fromShared++;
      if (hits.some((h) => h.passage.text === texts[sources[i]])) foundSource++;
    }
    const exactLat: number[] = [];
    const exact: string[][] = [];
    for (const q of queries) exact.push(await timed(exactLat, () => exactSearch({ archiveId: shared }, q)));
    const tagLat: number[] = [];
    for (const q of queries.slice(0, 50))
      await timed(tagLat, () => search(q, { tags: ['flagged'], tag_match_mode: 'any' }));
    const c0 = performance.now();
    let qi = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (qi < queries.length) await search(queries[qi++]);
      }),
    );
    const rps = queries.length / ((performance.now() - c0) / 1000);
    console.log(`hybrid search, archive of ${N - AGENT_N} (top 10, vector + full text, RRF) ${load()}:`);
    console.log(
      `  POST /v1/passages/search   ${stats(lat)}  recall@10 vs exact ${recallAt(10, got, exact).toFixed(3)}`,
    );
    console.log(`  exact (service, no HNSW)   ${stats(exactLat)}  (the baseline)`);
    console.log(`  tag filter (10% of rows)   ${stats(tagLat)}`);
    console.log(`  ${CONCURRENCY} in flight  ${rps.toFixed(0)} searches/s`);
    console.log(
      `  the passage a query was cut from is in its top 10: ${((100 * foundSource) / fromShared).toFixed(1)}% (of the ${fromShared} queries cut from this archive)`,
    );
    const agentLat: number[] = [];
    const agentGot: string[][] = [];
    for (const q of queries) agentGot.push(await timed(agentLat, () => agentSearch(sharedAgent, q)));
    console.log(
      `  agent archival search      ${stats(agentLat)}  recall@10 vs exact ${recallAt(10, agentGot, exact).toFixed(3)}  (agent attached to the archive)`,
    );

    // 3. Per-agent search: an agent whose own archive has AGENT_N of the N rows.
    const ownLat: number[] = [];
    let same = 0;
    for (const q of queries) {
      const ids = await timed(ownLat, () => agentSearch(ownAgent, q));
      const truth = await exactSearch({ agentId: ownAgent }, q);
      if (JSON.stringify(ids) === JSON.stringify(truth)) same++;
    }
    console.log(
      `per-agent search, ${AGENT_N} own passages among ${N}: ${stats(ownLat)}  ` +
        `identical to the exact result: ${same}/${queries.length} ${load()}`,
    );

    const embedder = new LocalEmbedder();
    const vectors = queries.map((q) => toSql(embedder.embedOne(q)));
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      // The full-text leg alone, before (every matching row ranked) and after (tiered), and the
      // fused top 10 under each, with the exact vector leg.
      const exactVec = `SELECT id FROM passages WHERE archive_id = $1 AND embedding_dim = 384
        ORDER BY embedding <=> $2::vector, id LIMIT 50`;
      const beforeFts = `SELECT t.id FROM passages t, ${ftsQuerySql('$2')} q WHERE t.archive_id = $1 AND t.fts @@ q
        ORDER BY ts_rank_cd(t.fts, q) DESC, t.id LIMIT 50`;
      const beforeLat: number[] = [];
      const beforeFused: string[][] = [];
      for (let i = 0; i < queries.length; i++) {
        const v = (await runner.query(exactVec, [shared, vectors[i]])).map((r: { id: string }) => r.id);
        const f = (await timed(beforeLat, () => runner.query(beforeFts, [shared, queries[i]]))).map(
          (r: { id: string }) => r.id,
        );
        const ranks = new Map<string, { id: string; vectorRank: number | null; ftsRank: number | null }>();
        const at = (id: string) =>
          ranks.get(id) ?? ranks.set(id, { id, vectorRank: null, ftsRank: null }).get(id)!;
        v.forEach((id: string, r: number) => (at(id).vectorRank = r + 1));
        f.forEach((id: string, r: number) => (at(id).ftsRank = r + 1));
        beforeFused.push(fuse([...ranks.values()], 10).map((h) => h.item.id));
      }
      console.log(
        `full-text leg, ranking every matching row (before): ${stats(beforeLat)}; ` +
          `top 10 of the exact search vs the exact search of before's ranking: recall@10 ${recallAt(10, exact, beforeFused).toFixed(3)}, ` +
          `this search's: ${recallAt(10, got, beforeFused).toFixed(3)} ${load()}`,
      );

      // 4. HNSW vs exact scan, same rows, same query vectors, straight SQL on one connection.
      const exactSql = `SELECT id FROM passages WHERE archive_id = $1 AND embedding_dim = 384
        ORDER BY embedding <=> $2::vector, id LIMIT 10`;
      const hnswSql = `SELECT id FROM passages WHERE archive_id = $2 AND embedding_dim = 384
        ORDER BY (embedding::halfvec(384)) <=> $1::halfvec(384) LIMIT 10`;
      await runner.query('SET enable_seqscan = off');
      await runner.query('SET hnsw.iterative_scan = relaxed_order');
      const plan = JSON.stringify(
        await runner.query(`EXPLAIN (FORMAT JSON) ${hnswSql}`, [vectors[0], shared]),
      );
      const usesHnsw = plan.includes('passages_embedding_384_hnsw');
      const truth: string[][] = [];
      const scanLat: number[] = [];
      for (const v of vectors) {
        truth.push(
          (await timed(scanLat, () => runner.query(exactSql, [shared, v]))).map((r: { id: string }) => r.id),
        );
      }
      console.log(`vector leg alone (${queries.length} queries, k=10) ${load()}:`);
      console.log(`  exact scan          ${stats(scanLat)}  recall@10 1.000`);
      if (!usesHnsw)
        console.log('  (the planner did not use the HNSW index: the figures below are not HNSW)');
      for (const ef of [40, 100, 200, 400]) {
        await runner.query(`SET hnsw.ef_search = ${ef}`);
        const approxLat: number[] = [];
        const ids: string[][] = [];
        for (const v of vectors) {
          ids.push(
            (await timed(approxLat, () => runner.query(hnswSql, [v, shared]))).map(
              (r: { id: string }) => r.id,
            ),
          );
        }
        console.log(
          `  HNSW ef_search=${String(ef).padEnd(4)} ${stats(approxLat)}  recall@10 ${recallAt(10, ids, truth).toFixed(3)}` +
            `  (${(
              percentile(
                [...scanLat].sort((a, b) => a - b),
                50,
              ) /
              percentile(
                [...approxLat].sort((a, b) => a - b),
                50,
              )
            ).toFixed(1)}x faster at p50)`,
        );
      }
      await runner.query('RESET hnsw.ef_search');
      await runner.query('RESET hnsw.iterative_scan');
      await runner.query('RESET enable_seqscan');

      // 5. What 1M passages would look like, from this run's sizes and counts (a 1M run loads for
      //    a long time at the insert rate above; BENCH_PASSAGES=1000000 runs it).
      if (N < 1_000_000) {
        const scale = 1_000_000 / N;
        const sizes: Record<string, string>[] = await runner.query(
          `SELECT pg_relation_size('passages') AS heap, pg_relation_size('passages_embedding_384_hnsw') AS hnsw,
             pg_relation_size('passages_fts_idx') AS gin, current_setting('shared_buffers') AS buffers`,
        );
        const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
        const { heap, hnsw, gin, buffers } = sizes[0];
        // Rows the two-word tier of the full-text leg fetches from the heap per query (one page each).
        const tier2: number[] = [];
        for (const q of queries.slice(0, 50)) {
          const [{ n }] = await runner.query(
            `SELECT count(*)::int AS n FROM passages t WHERE t.archive_id = $1 AND t.fts @@ ${ftsPairsQuerySql('$2')}`,
            [shared, q],
          );
          tier2.push(n);
        }
        tier2.sort((a, b) => a - b);
        const t2 = percentile(tier2, 50);
        console.log(
          `1M passages: not run (at ${(N / insertSec).toFixed(0)} passages/s the load alone takes ${(1_000_000 / (N / insertSec) / 60).toFixed(0)} min); ` +
            `extrapolated from this run of ${N}, assuming the same corpus:`,
        );
        console.log(
          `  sizes grow linearly: heap ${mb(Number(heap))} -> ${mb(Number(heap) * scale)}, HNSW ${mb(Number(hnsw))} -> ${mb(Number(hnsw) * scale)}, ` +
            `GIN ${mb(Number(gin))} -> ${mb(Number(gin) * scale)} (shared_buffers ${buffers}: past it, pages come from the OS cache or disk)`,
        );
        console.log(
          `  full-text leg: the two-word tier fetches p50 ${t2} rows here, so about ${Math.round(t2 * scale)} heap rows per query at 1M ` +
            `(linear: the corpus' word frequencies stay the same); its cost grows with it`,
        );
        console.log(
          `  vector leg: an HNSW walk grows about with log(N) (x${(Math.log(1_000_000) / Math.log(N)).toFixed(2)}), ` +
            `the exact per-agent scan does not grow (it reads the agent's ${AGENT_N} rows), an exact scan of a whole archive grows x${scale.toFixed(0)}`,
        );
        console.log(
          `  insert: the HNSW insert per row grows about with log(N) too, so below the ${(N / insertSec).toFixed(0)} passages/s measured here`,
        );
      }
    } finally {
      await runner.release();
    }
  } finally {
    await app.close();
    if (base && dbUrl && process.env.BENCH_KEEP_DB) console.log(`kept database ${dbUrl}`);
    else if (base && dbUrl) await dropScratchDatabase(base, dbUrl);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
