/**
 * bench/ingest: file ingestion throughput through the real routes — upload, parse, chunk, embed
 * with the local embedder, write passages — as MB/s and chunks/s from the first upload to the
 * last file `completed`, for a Markdown corpus and a PDF corpus.
 *
 *   npm run bench:ingest                                                     # embedded: the API ingests
 *   DATABASE_URL=postgres://... REDIS_URL=redis://... npm run bench:ingest    # 1 and 2 worker processes
 *   BENCH_MD_MB=2 BENCH_PDF_MB=1 npm run bench:ingest                        # a smoke run (seconds)
 * Env: BENCH_MD_MB (default 50: Markdown, in files of BENCH_FILE_MB, default 5),
 *      BENCH_PDF_MB (default 20: multi-page text PDFs with deflated pages, in files of
 *      BENCH_PDF_FILE_MB, default 1),
 *      BENCH_WORKERS (comma list of cases, printed side by side: N worker processes
 *      (`src/worker.ts`) take the jobs from Redis while this process only takes uploads; 0 = this
 *      process ingests, with no Redis. Default 1,2 with DATABASE_URL and REDIS_URL, else 0),
 *      BENCH_CORPUS (md,pdf), BENCH_WORKER_PROF (a directory: the workers run with --cpu-prof
 *      and write their profiles there when they stop).
 * With Redis, every key lives under a prefix of this run's own (`bench-ingest-<pid>`), deleted at
 * the end, so the bench neither takes other processes' jobs nor leaves any behind.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { LOCAL_EMBEDDING_HANDLE } from '@engram/embeddings';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { makePdf } from '../test/support/documents';
import { loadAverage } from './support';

const root = join(__dirname, '..');
const MD_MB = Number(process.env.BENCH_MD_MB ?? 50);
const FILE_MB = Number(process.env.BENCH_FILE_MB ?? 5);
const PDF_MB = Number(process.env.BENCH_PDF_MB ?? 20);
const PDF_FILE_MB = Number(process.env.BENCH_PDF_FILE_MB ?? 1);
const CORPORA = (process.env.BENCH_CORPUS ?? 'md,pdf').split(',').map((c) => c.trim());
const PROFILE_DIR = process.env.BENCH_WORKER_PROF;
const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const CASES = (process.env.BENCH_WORKERS ?? (shared ? '1,2' : '0')).split(',').map((w) => Number(w.trim()));
const PREFIX = `bench-ingest-${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic pseudo-random source (mulberry32), so every run ingests the same corpus. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const WORDS = (
  'the of and to in is that for it as with was on be by this are from at or an which have not has ' +
  'boiler pressure valve ledger cargo route harbour vessel inspection schedule crew manifest engine ' +
  'turbine coolant gauge reading operator shift maintenance report incident tolerance threshold sensor ' +
  'calibration procedure warehouse shipment invoice supplier contract clause liability warranty audit ' +
  'quarterly revenue forecast margin budget variance allocation department committee approval policy ' +
  'network latency throughput replica partition index query cache backup restore failover deployment ' +
  'patient dosage clinical trial protocol cohort outcome baseline adverse event monitoring consent ' +
  'river basin rainfall sediment erosion survey habitat species migration estuary tide forecasting ' +
  'must should may will can never always before after during between within under above against ' +
  'weekly monthly annual first second third final current previous internal external manual automatic'
).split(' ');

/** A sentence of 6-24 words from WORDS, with a number now and then (ids, readings). */
function sentence(rand: () => number): string {
  const n = 6 + Math.floor(rand() * 19);
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    words.push(r < 0.06 ? String(Math.floor(rand() * 10_000)) : WORDS[Math.floor(rand() * WORDS.length)]);
  }
  const s = words.join(' ');
  return `${s[0].toUpperCase()}${s.slice(1)}.`;
}

/** Prose wrapped at about `width` characters: paragraphs of 2-8 sentences, a blank line between. */
function paragraphLines(rand: () => number, width: number): string[] {
  const sentences = Array.from({ length: 2 + Math.floor(rand() * 7) }, () => sentence(rand));
  const lines: string[] = [];
  let line = '';
  for (const word of sentences.join(' ').split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** About `bytes` of Markdown: sections with headings, wrapped prose, bullet lists and code blocks. */
function markdown(bytes: number, seed: number): string {
  const rand = random(seed);
  const out: string[] = [];
  let size = 0;
  const push = (l: string) => {
    out.push(l);
    size += l.length + 1;
  };
  for (let section = 1; size < bytes; section++) {
    push(`## ${section}. ${sentence(rand).slice(0, -1)}`);
    push('');
    for (let block = 0; block < 4 + Math.floor(rand() * 5) && size < bytes; block++) {
      const kind = rand();
      if (kind < 0.15) {
        for (let i = 0; i < 3 + Math.floor(rand() * 5); i++) push(`- ${sentence(rand)}`);
      } else if (kind < 0.22) {
        push('```');
        for (let i = 0; i < 2 + Math.floor(rand() * 6); i++)
          push(
            `reading_${i} = gauge.read(${Math.floor(rand() * 100)}, threshold=${(rand() * 10).toFixed(2)})`,
          );
        push('```');
      } else {
        for (const l of paragraphLines(rand, 80)) push(l);
      }
      push('');
    }
  }
  return out.join('\n');
}

/** A PDF of about `bytes`: pages of 60 lines of 95 characters (headings and prose), deflated. */
function pdf(bytes: number, seed: number): { data: Buffer; textBytes: number } {
  const rand = random(seed);
  const pagesPerProbe = 20;
  const page = (n: number) => {
    const lines = [`Chapter ${seed}.${n}: ${sentence(rand).slice(0, -1)}`];
    while (lines.length < 59) lines.push(...paragraphLines(rand, 95), '');
    return [...lines.slice(0, 59), `Page ${n}`];
  };
  // Deflated size per page is steady: measure a few pages, then make the whole document.
  const probe = Array.from({ length: pagesPerProbe }, (_, i) => page(i + 1)).flat();
  const perPage = makePdf(probe, { linesPerPage: 60, compress: true }).length / pagesPerProbe;
  const pages = Math.max(1, Math.round(bytes / perPage));
  const lines = [
    ...probe,
    ...Array.from({ length: Math.max(0, pages - pagesPerProbe) }, (_, i) => page(i + 21)).flat(),
  ];
  const used = lines.slice(0, pages * 60);
  return {
    data: makePdf(used, { linesPerPage: 60, compress: true }),
    textBytes: used.reduce((n, l) => n + l.length + 1, 0),
  };
}

interface Corpus {
  label: string;
  files: Array<[string, Buffer]>;
  bytes: number;
  /** Bytes of text in the files (the PDFs' text, as the generator wrote it). */
  textBytes: number;
}

interface Figure {
  seconds: number;
  chunks: number;
  load: string;
}

function corpora(): Corpus[] {
  const out: Corpus[] = [];
  if (CORPORA.includes('md')) {
    const n = Math.max(1, Math.round(MD_MB / FILE_MB));
    const size = (MD_MB / n) * 1e6;
    const files = Array.from({ length: n }, (_, i): [string, Buffer] => [
      `part${i}.md`,
      Buffer.from(markdown(size, i + 1)),
    ]);
    const bytes = files.reduce((s, [, b]) => s + b.length, 0);
    out.push({ label: 'markdown', files, bytes, textBytes: bytes });
  }
  if (CORPORA.includes('pdf')) {
    const n = Math.max(1, Math.round(PDF_MB / PDF_FILE_MB));
    const docs = Array.from({ length: n }, (_, i) => pdf((PDF_MB / n) * 1e6, 1000 + i));
    out.push({
      label: 'pdf',
      files: docs.map((d, i) => [`doc${i}.pdf`, d.data]),
      bytes: docs.reduce((s, d) => s + d.data.length, 0),
      textBytes: docs.reduce((s, d) => s + d.textBytes, 0),
    });
  }
  return out;
}

/** `src/worker.ts` as its own process, resolved once it says it started. */
async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const prof = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...prof, '-r', './bench/register.js', 'src/worker.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      if (output.length > 1e6) output = output.slice(-1e5);
      if (output.includes('Engram worker started')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
  });
  return child;
}

/** SIGTERM (so a profiled worker writes its profile), SIGKILL if it has not exited in 15 s. */
async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** One case: `workers` worker processes (0: this process ingests), every corpus in turn. */
async function runCase(workers: number, sets: Corpus[]): Promise<Map<string, Figure>> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    LOG_LEVEL: 'error',
    PORT: '0',
    ENGRAM_DATA_DIR: process.env.ENGRAM_DATA_DIR ?? 'memory://',
    ENGRAM_MIGRATE_ON_START: 'true',
    ENGRAM_FILE_UPLOAD_LIMIT_MB: String(Math.max(FILE_MB * 2, PDF_FILE_MB * 2, 10)),
    ENGRAM_REDIS_PREFIX: PREFIX,
  };
  if (workers === 0) {
    delete env.REDIS_URL; // the queue is in this process, which takes the jobs
  } else {
    env.ENGRAM_PROCESS_JOBS = 'false'; // this process takes uploads; the workers ingest
  }
  const app = await createApp(loadConfig(env));
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const children: ChildProcess[] = [];
  const json = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : (res.json() as Promise<any>);
  };
  const figures = new Map<string, Figure>();
  const vacuum = () => app.get(DataSource).query('VACUUM passages, file_blobs');
  try {
    await vacuum();
    for (let i = 0; i < workers; i++)
      children.push(
        await startWorker({
          DATABASE_URL: process.env.DATABASE_URL!,
          REDIS_URL: process.env.REDIS_URL!,
          ENGRAM_REDIS_PREFIX: PREFIX,
          ENGRAM_MIGRATE_ON_START: 'false',
          // Any free port: the default 9464 may be another worker's on this machine.
          ENGRAM_METRICS_PORT: '0',
        }),
      );
    for (const set of sets) {
      const folder = await json('POST', '/v1/folders', {
        name: `bench-${set.label}-${workers}-${Date.now()}`,
        embedding: LOCAL_EMBEDDING_HANDLE,
      });
      const started = performance.now();
      const ids: string[] = [];
      for (const [name, data] of set.files) {
        const form = new FormData();
        form.append('file', new Blob([data]), name);
        const res = await fetch(`${base}/v1/folders/${folder.id}/upload`, { method: 'POST', body: form });
        if (res.status !== 200) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
        ids.push(((await res.json()) as { id: string }).id);
      }
      let chunks = 0;
      for (const id of ids) {
        for (;;) {
          const f = await json('GET', `/v1/folders/${folder.id}/files/${id}`);
          if (f.processing_status === 'error') throw new Error(`${set.label}: ${f.error_message}`);
          if (f.processing_status === 'completed') {
            chunks += f.total_chunks;
            break;
          }
          await sleep(50);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const figure = { seconds, chunks, load: loadAverage() };
      figures.set(set.label, figure);
      console.log(
        `  ${caseName(workers).padEnd(22)} ${set.label.padEnd(9)} ${cell(set, figure)}  (load ${figure.load})`,
      );
      // Out of the timing: the next corpus or case starts from the same (empty) tables; VACUUM
      // takes the deleted rows out of the HNSW graph, which later inserts would walk otherwise.
      await json('DELETE', `/v1/folders/${folder.id}`);
      await vacuum();
    }
  } finally {
    await Promise.all(children.map(stopWorker));
    await app.close();
  }
  return figures;
}

function caseName(workers: number): string {
  return workers === 0 ? 'api ingests (no Redis)' : `${workers} worker${workers > 1 ? 's' : ''}`;
}

function cell(set: Corpus, f: Figure): string {
  return (
    `${(set.bytes / 1e6 / f.seconds).toFixed(2).padStart(6)} MB/s ${(f.chunks / f.seconds).toFixed(0).padStart(5)} chunks/s ` +
    `(${f.seconds.toFixed(1)} s)`
  );
}

/** Deletes every key under this run's prefix (Bull's counters and any job left by a failure). */
async function dropPrefix(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  for (const w of CASES) {
    if (!Number.isInteger(w) || w < 0) throw new Error(`BENCH_WORKERS: '${w}' is not a worker count`);
    if (w > 0 && !shared) throw new Error('BENCH_WORKERS above 0 needs DATABASE_URL and REDIS_URL');
  }
  const sets = corpora();
  console.log(
    `bench/ingest: db=${process.env.DATABASE_URL ? 'postgres' : 'embedded PGlite'}, local embedder, ` +
      `cases ${CASES.map(caseName).join(' / ')}; load average ${loadAverage()}`,
  );
  for (const s of sets)
    console.log(
      `  ${s.label.padEnd(9)} ${s.files.length} files, ${(s.bytes / 1e6).toFixed(1)} MB` +
        (s.textBytes !== s.bytes ? ` (${(s.textBytes / 1e6).toFixed(1)} MB of text)` : ''),
    );
  const results = new Map<number, Map<string, Figure>>();
  try {
    for (const w of CASES) results.set(w, await runCase(w, sets));
  } finally {
    if (CASES.some((w) => w > 0)) await dropPrefix();
  }
  const width = 44;
  console.log(`\n${'corpus'.padEnd(10)}${CASES.map((w) => caseName(w).padEnd(width)).join('')}`);
  for (const s of sets)
    console.log(
      `${s.label.padEnd(10)}${CASES.map((w) => cell(s, results.get(w)!.get(s.label)!).padEnd(width)).join('')}`,
    );
  console.log(`load average after: ${loadAverage()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
