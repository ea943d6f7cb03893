/**
 * bench/archival: archival memory at scale, on the real app and the real database.
 *
 *   1. insert throughput: N passages through POST /v1/archives/:id/passages/batch (local embedder,
 *      so the figure is Engram + Postgres/pgvector, not a remote model);
 *   2. hybrid search latency (p50/p99) and req/s through POST /v1/passages/search;
 *   3. recall@10 of the HNSW index against an exact scan of the same rows, for the same query
 *      vectors, at several hnsw.ef_search values, with the latency of each.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:archival
 * Env: BENCH_PASSAGES (default 100000), BENCH_BATCH (500), BENCH_QUERIES (200),
 *      BENCH_CONCURRENCY (4), BENCH_KEEP_DB (set: keep the database for inspection). Without DATABASE_URL it runs on embedded PGlite (slow; use fewer
 *      passages). With DATABASE_URL it works in a fresh database of its own, dropped at the end.
 */
import 'reflect-metadata';
import { toSql } from 'pgvector';
import { DataSource } from 'typeorm';
import { LocalEmbedder } from '@engram/embeddings';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { createScratchDatabase, dropScratchDatabase } from '../test/support/scratch-database';
import { percentile } from './support';

const N = Number(process.env.BENCH_PASSAGES ?? 100_000);
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
function corpus(count: number): { texts: string[]; tags: string[][]; queries: string[] } {
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
  const queries = Array.from({ length: QUERIES }, () => {
    const words = pick(texts).split(' ');
    const start = Math.floor(rand() * Math.max(1, words.length - 4));
    return words.slice(start, start + 4).join(' ');
  });
  return { texts, tags, queries };
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const fmt = (ms: number) => ms.toFixed(2).padStart(8);

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

  try {
    console.log(
      `bench/archival: ${N} passages, batches of ${BATCH}, db=${dbUrl ? 'postgres' : 'embedded PGlite'}`,
    );
    const { texts, tags, queries } = corpus(N);
    const archive = (await post(`${api}/archives`, {
      name: 'bench',
      embedding: 'local/hash-embedding-v1',
    })) as { id: string };

    // 1. Insert throughput (two batches in flight: one embedding while the other commits).
    const t0 = performance.now();
    let next = 0;
    const batchTimes: number[] = [];
    const worker = async () => {
      while (next < N) {
        const from = next;
        next += BATCH;
        const s = performance.now();
        await post(`${api}/archives/${archive.id}/passages/batch`, {
          passages: texts.slice(from, from + BATCH).map((text, i) => ({ text, tags: tags[from + i] })),
        });
        batchTimes.push(performance.now() - s);
        if (from % 10_000 === 0 && from > 0) process.stdout.write(`  ${from} inserted\r`);
      }
    };
    await Promise.all([worker(), worker()]);
    const insertSec = (performance.now() - t0) / 1000;
    batchTimes.sort((a, b) => a - b);
    console.log(
      `insert: ${N} passages in ${insertSec.toFixed(1)} s = ${(N / insertSec).toFixed(0)} passages/s ` +
        `(batch of ${BATCH}: p50 ${percentile(batchTimes, 50).toFixed(0)} ms, p99 ${percentile(batchTimes, 99).toFixed(0)} ms)`,
    );
    await ds.query('ANALYZE passages');

    // 2. Hybrid search through the REST endpoint: sequential latency, then concurrent throughput.
    const search = (query: string, extra: Record<string, unknown> = {}) =>
      post(`${api}/passages/search`, { archive_id: archive.id, query, limit: 10, ...extra });
    for (const q of queries.slice(0, 10)) await search(q); // warm caches and the planner
    const lat: number[] = [];
    let foundSource = 0;
    for (const q of queries) {
      const s = performance.now();
      const hits = (await search(q)) as Array<{ passage: { text: string } }>;
      lat.push(performance.now() - s);
      if (hits.some((h) => h.passage.text.includes(q))) foundSource++;
    }
    lat.sort((a, b) => a - b);
    const tagLat: number[] = [];
    for (const q of queries.slice(0, 50)) {
      const s = performance.now();
      await search(q, { tags: ['flagged'], tag_match_mode: 'any' });
      tagLat.push(performance.now() - s);
    }
    tagLat.sort((a, b) => a - b);
    const c0 = performance.now();
    let qi = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (qi < queries.length) await search(queries[qi++]);
      }),
    );
    const rps = queries.length / ((performance.now() - c0) / 1000);
    console.log('hybrid search (POST /v1/passages/search, top 10, vector + full text, RRF):');
    console.log(`  sequential   p50 ${fmt(percentile(lat, 50))} ms  p99 ${fmt(percentile(lat, 99))} ms`);
    console.log(
      `  tag filter   p50 ${fmt(percentile(tagLat, 50))} ms  p99 ${fmt(percentile(tagLat, 99))} ms`,
    );
    console.log(`  ${CONCURRENCY} in flight  ${rps.toFixed(0)} searches/s`);
    console.log(
      `  the passage a query was cut from is in its top 10: ${((100 * foundSource) / queries.length).toFixed(1)}%`,
    );

    // 3. HNSW vs exact scan, same rows, same query vectors, straight SQL on one connection.
    const embedder = new LocalEmbedder();
    const vectors = queries.map((q) => toSql(embedder.embedOne(q)));
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      const exactSql = `SELECT id FROM passages WHERE archive_id = $1 AND embedding_dim = 384
        ORDER BY embedding <=> $2::vector, id LIMIT 10`;
      // The only archive in this database, so no archive filter: the index alone (seq scans off,
      // so the planner cannot fall back to an exact sort at high ef_search).
      const hnswSql = `SELECT id FROM passages WHERE embedding_dim = 384
        ORDER BY (embedding::vector(384)) <=> $1::vector(384) LIMIT 10`;
      await runner.query('SET enable_seqscan = off');
      const plan = JSON.stringify(await runner.query(`EXPLAIN (FORMAT JSON) ${hnswSql}`, [vectors[0]]));
      const usesHnsw = plan.includes('passages_embedding_384_hnsw');
      const exact: string[][] = [];
      const exactLat: number[] = [];
      for (const v of vectors) {
        const s = performance.now();
        exact.push((await runner.query(exactSql, [archive.id, v])).map((r: { id: string }) => r.id));
        exactLat.push(performance.now() - s);
      }
      exactLat.sort((a, b) => a - b);
      console.log(`vector leg alone (${queries.length} queries, k=10):`);
      console.log(
        `  exact scan          p50 ${fmt(percentile(exactLat, 50))} ms  p99 ${fmt(percentile(exactLat, 99))} ms  recall@10 1.000`,
      );
      if (!usesHnsw)
        console.log('  (the planner did not use the HNSW index: the figures below are not HNSW)');
      for (const ef of [40, 100, 200, 400]) {
        await runner.query(`SET hnsw.ef_search = ${ef}`);
        const approxLat: number[] = [];
        let hit = 0;
        for (let i = 0; i < vectors.length; i++) {
          const s = performance.now();
          const ids = (await runner.query(hnswSql, [vectors[i]])).map((r: { id: string }) => r.id);
          approxLat.push(performance.now() - s);
          const truth = new Set(exact[i]);
          hit += ids.filter((id: string) => truth.has(id)).length;
        }
        approxLat.sort((a, b) => a - b);
        const recall = hit / (10 * vectors.length);
        console.log(
          `  HNSW ef_search=${String(ef).padEnd(4)} p50 ${fmt(percentile(approxLat, 50))} ms  p99 ${fmt(percentile(approxLat, 99))} ms  recall@10 ${recall.toFixed(3)}` +
            `  (${(percentile(exactLat, 50) / percentile(approxLat, 50)).toFixed(1)}x faster at p50)`,
        );
      }
      await runner.query('RESET hnsw.ef_search');
      await runner.query('RESET enable_seqscan');
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
