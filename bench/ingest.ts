/**
 * bench/ingest: file ingestion throughput through the real routes — upload, parse, chunk, embed
 * with the local embedder, write passages — as MB/s and chunks/s, for Markdown and for PDFs.
 *
 *   npm run bench:ingest
 * Env: BENCH_MD_MB (default 50: the Markdown corpus, uploaded as files of BENCH_FILE_MB, default 5),
 *      BENCH_PDFS (default 200 one-page PDFs). Runs on the embedded database unless DATABASE_URL
 *      is set (then with REDIS_URL unset, so this process takes the ingestion jobs itself).
 */
import 'reflect-metadata';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { makePdf } from '../test/support/documents';
import { loadAverage } from './support';

const MD_MB = Number(process.env.BENCH_MD_MB ?? 50);
const FILE_MB = Number(process.env.BENCH_FILE_MB ?? 5);
const PDFS = Number(process.env.BENCH_PDFS ?? 200);

function markdown(bytes: number, seed: number): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line =
      i % 20 === 0
        ? `## Section ${seed}.${i / 20}`
        : `Paragraph ${i} of part ${seed}: the ledger records cargo ${(i * 7919) % 1000} and route ${i % 13}.`;
    out.push(line);
    size += line.length + 1;
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.REDIS_URL;
  const config = loadConfig({
    ...env,
    LOG_LEVEL: 'error',
    PORT: '0',
    ENGRAM_DATA_DIR: process.env.ENGRAM_DATA_DIR ?? 'memory://',
    ENGRAM_MIGRATE_ON_START: 'true',
    ENGRAM_FILE_UPLOAD_LIMIT_MB: String(Math.max(FILE_MB * 2, 10)),
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const json = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json() as Promise<any>;
  };
  const run = async (label: string, files: Array<[string, Buffer]>) => {
    const folder = await json('POST', '/v1/folders', { name: `bench-${label}-${Date.now()}` });
    const bytes = files.reduce((n, [, b]) => n + b.length, 0);
    const started = performance.now();
    const ids: string[] = [];
    for (const [name, data] of files) {
      const form = new FormData();
      form.append('file', new Blob([data]), name);
      const res = await fetch(`${base}/v1/folders/${folder.id}/upload`, { method: 'POST', body: form });
      ids.push(((await res.json()) as { id: string }).id);
    }
    let chunks = 0;
    for (const id of ids) {
      for (;;) {
        const f = await json('GET', `/v1/folders/${folder.id}/files/${id}`);
        if (f.processing_status === 'error') throw new Error(`${label}: ${f.error_message}`);
        if (f.processing_status === 'completed') {
          chunks += f.total_chunks;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const s = (performance.now() - started) / 1000;
    console.log(
      `${label.padEnd(9)} ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, ${chunks} chunks in ${s.toFixed(1)} s: ` +
        `${(bytes / 1e6 / s).toFixed(2)} MB/s, ${(chunks / s).toFixed(0)} chunks/s`,
    );
  };
  console.log(`bench/ingest (1 ingesting process; load average ${loadAverage()})`);
  const mdFiles = Math.max(1, Math.round(MD_MB / FILE_MB));
  await run(
    'markdown',
    Array.from({ length: mdFiles }, (_, i) => [`part${i}.md`, Buffer.from(markdown(FILE_MB * 1e6, i))]),
  );
  await run(
    'pdf',
    Array.from({ length: PDFS }, (_, i) => [
      `doc${i}.pdf`,
      makePdf(
        Array.from({ length: 40 }, (_, l) => `Document ${i} line ${l}: the boiler pressure is ${l} bar.`),
      ),
    ]),
  );
  console.log(`load average after: ${loadAverage()}`);
  await app.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
