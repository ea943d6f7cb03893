import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { FakeOpenAiServer } from '../support/fake-openai';
import { settled, upload } from '../support/folders';

const ROOT = join(__dirname, '..', '..');
const realMode = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

/**
 * A process that is ingesting a file dies with SIGKILL (no shutdown hook runs), and comes back:
 * the file completes once, with one set of passages, and the file queued behind it completes
 * too. Embedded, the API process itself ingests (its queue is in memory and lost with it: the
 * jobs are queued again at boot); with Redis, a separate worker process does (Bull takes the
 * job back once the dead worker's lock lapses).
 *
 * The fake embedding provider holds the second embedding call, so the kill always lands after
 * one batch of passages was written and before the file completed.
 */

/** `node src/<entry>.ts` from source, with exactly `env` (plus PATH). */
function start(entry: 'main' | 'worker', env: Record<string, string | undefined>) {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  const child = spawn(process.execPath, ['-r', './bench/register.js', `src/${entry}.ts`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...clean },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, output: () => output };
}

async function until(what: string, probe: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await Promise.resolve(probe()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** About `kb` KB of numbered lines: with 50-token chunks, a few batches of 64 to embed. */
function document(kb: number, tag: string): string {
  const lines: string[] = [];
  for (let i = 0; lines.join('\n').length < kb * 1024; i++)
    lines.push(`${tag} line ${i}: the harbour log notes vessel ${i} with ${i % 9} crates of tea.`);
  return lines.join('\n');
}

/** Holds embedding call `n` until released; every other call answers at once. */
function holdCall(fake: FakeOpenAiServer, n: number) {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let reached = false;
  fake.embeddingGate = (call) => {
    if (call !== n) return;
    reached = true;
    return held;
  };
  return { reached: () => reached, release: () => release() };
}

/** The file completed, once: as many passages as chunks, no two for the same lines. */
async function expectOneSetOfPassages(api: Api, folderId: string, fileId: string) {
  const file = await settled(api, folderId, fileId, 60_000);
  expect(file).toMatchObject({ processing_status: 'completed', error_message: null });
  expect(file.total_chunks).toBeGreaterThan(64);
  expect(file.chunks_embedded).toBe(file.total_chunks);
  const passages = (await api.get(`/v1/folders/${folderId}/passages?limit=1000`)).body as Array<{
    file_id: string;
    metadata: { start_line: number; end_line: number };
  }>;
  const mine = passages.filter((p) => p.file_id === fileId);
  expect(mine).toHaveLength(file.total_chunks);
  expect(new Set(mine.map((p) => `${p.metadata.start_line}-${p.metadata.end_line}`)).size).toBe(
    file.total_chunks,
  );
}

async function folderFor(api: Api) {
  const res = await api.post('/v1/folders', {
    name: `crash-${Math.random()}`,
    embedding: 'openai/text-embedding-3-small',
    embedding_chunk_size: 50,
  });
  expect(res.status).toBe(200);
  return res.body as { id: string };
}

(realMode ? describe.skip : describe)('an API process killed mid-ingestion, embedded (e2e)', () => {
  let fake: FakeOpenAiServer;
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    dataDir = mkdtempSync(join(tmpdir(), 'engram-ingest-crash-'));
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startApi(port: number) {
    const api = start('main', {
      ENGRAM_DATA_DIR: dataDir,
      PORT: String(port),
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.baseUrl,
    });
    children.push(api.child);
    const base = `http://127.0.0.1:${port}`;
    await until('the API to answer', async () => (await fetch(`${base}/v1/health`)).ok);
    return { ...api, api: new Api(base) };
  }

  it('queues the unfinished files again at boot: each completes once', async () => {
    const port = await freePort();
    const first = await startApi(port);
    const folder = await folderFor(first.api);
    const gate = holdCall(fake, 2);
    const a = (await upload(first.api, folder.id, 'a.txt', document(30, 'alpha'))).body;
    const b = (await upload(first.api, folder.id, 'b.txt', document(30, 'beta'))).body;
    await until('the second embedding batch', () => gate.reached());
    const midway = (await first.api.get(`/v1/folders/${folder.id}/files/${a.id}`)).body;
    expect(midway).toMatchObject({ processing_status: 'embedding', chunks_embedded: 64 });
    expect((await first.api.get(`/v1/folders/${folder.id}/files/${b.id}`)).body.processing_status).toBe(
      'pending',
    );

    first.child.kill('SIGKILL');
    await first.exited;
    gate.release();

    const second = await startApi(port);
    await expectOneSetOfPassages(second.api, folder.id, a.id);
    await expectOneSetOfPassages(second.api, folder.id, b.id);
    expect(second.output()).toContain('queued again 2 unfinished file ingestion(s)');
    const jobs = (await second.api.get(`/v1/jobs?source_id=${folder.id}`)).body as Array<{ status: string }>;
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed']);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 120_000);
});

(realMode ? describe : describe.skip)('a worker process killed mid-ingestion, on Redis (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api;
  const children: ChildProcess[] = [];
  // A prefix of this file's own: the other files' apps take ingestion jobs too.
  const prefix = `${process.env.ENGRAM_REDIS_PREFIX ?? 'engram-test'}-crash`;
  const env = () => ({
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    ENGRAM_REDIS_PREFIX: prefix,
    ENGRAM_INGEST_LOCK_MS: '1000',
    // Any free port: a worker's metrics listener defaults to 9464, which another worker on the
    // machine (a bench, a developer's) may hold.
    ENGRAM_METRICS_PORT: '0',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: fake.baseUrl,
  });

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    // This API process only takes uploads; the worker processes ingest.
    t = await startTestApp({ ...env(), ENGRAM_PROCESS_JOBS: 'false' });
    api = await newTenant(new Api(t.baseUrl), 'crash');
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await t?.close();
    await fake?.close();
  });

  async function startWorker() {
    const worker = start('worker', env());
    children.push(worker.child);
    await until('the worker to start', () => worker.output().includes('Engram worker started'));
    return worker;
  }

  it('takes the file back after the lock lapses: it completes once, then the next file', async () => {
    const folder = await folderFor(api);
    const gate = holdCall(fake, 2);
    const first = await startWorker();
    const a = (await upload(api, folder.id, 'a.txt', document(30, 'alpha'))).body;
    const b = (await upload(api, folder.id, 'b.txt', document(30, 'beta'))).body;
    await until('the second embedding batch', () => gate.reached());
    expect((await api.get(`/v1/folders/${folder.id}/files/${a.id}`)).body).toMatchObject({
      processing_status: 'embedding',
      chunks_embedded: 64,
    });

    first.child.kill('SIGKILL');
    await first.exited;
    gate.release();

    const second = await startWorker();
    await expectOneSetOfPassages(api, folder.id, a.id);
    await expectOneSetOfPassages(api, folder.id, b.id);
    const jobs = (await api.get(`/v1/jobs?source_id=${folder.id}`)).body as Array<{ status: string }>;
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed']);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 120_000);
});
