import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/config';
import { IngestionService } from '../../src/sources/ingestion/ingestion.service';
import { WorkerModule } from '../../src/worker.module';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { settled, upload } from '../support/folders';

const realMode = Boolean(process.env.REDIS_URL);

/** Text of about `kb` kilobytes, with a marker line in the middle. */
function document(kb: number, marker: string): string {
  const lines: string[] = [];
  for (let i = 0; lines.join('\n').length < kb * 1024; i++)
    lines.push(`Paragraph ${i}: the archive keeps records of voyage ${i} and its ${i % 7} cargo holds.`);
  lines[Math.floor(lines.length / 2)] = marker;
  return lines.join('\n');
}

describe('file ingestion on the job queue (e2e)', () => {
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  let worker: INestApplicationContext | undefined;

  beforeAll(async () => {
    // With REDIS_URL the api only accepts uploads; a worker process (here: a worker
    // application in this process) takes the ingestion jobs off Bull.
    t = await startTestApp();
    if (realMode) {
      const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', ENGRAM_METRICS_ENABLED: 'false' });
      worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
      await worker.init();
    }
    api = await newTenant(new Api(t.baseUrl), 'ingestion');
  });
  afterAll(async () => {
    await worker?.close();
    await t.close();
  });

  const folder = async () => (await api.post('/v1/folders', { name: `q-${Math.random()}` })).body;

  it('ingests uploads through the queue, in order, each once', async () => {
    const f = await folder();
    const files = [];
    for (let i = 0; i < 3; i++)
      files.push((await upload(api, f.id, `doc${i}.txt`, document(40, `marker line ${i}`))).body);
    for (const file of files) {
      const done = await settled(api, f.id, file.id, 60_000);
      expect(done).toMatchObject({ processing_status: 'completed', chunks_embedded: done.total_chunks });
    }
    const passages = (await api.get(`/v1/folders/${f.id}/passages?limit=1000`)).body as Array<{
      file_id: string;
      text: string;
    }>;
    for (const [i, file] of files.entries()) {
      const mine = passages.filter((p) => p.file_id === file.id);
      expect(mine.length).toBe((await api.get(`/v1/folders/${f.id}/files/${file.id}`)).body.total_chunks);
      expect(mine.filter((p) => p.text.includes(`marker line ${i}`)).length).toBeGreaterThanOrEqual(1);
    }
    const jobs = (await api.get(`/v1/jobs?source_id=${f.id}`)).body as Array<{ status: string }>;
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed', 'completed']);
  });

  it('running a job again does nothing for a completed file, and starts clean for an interrupted one', async () => {
    const f = await folder();
    const file = (await upload(api, f.id, 'again.txt', document(20, 'the marker'))).body;
    const done = await settled(api, f.id, file.id);
    const job = (await api.get(`/v1/jobs?source_id=${f.id}`)).body[0];
    const ingestion = (worker ?? t.app).get(IngestionService);
    expect(await ingestion.run(api.orgId, job.id, file.id)).toBe('skipped');
    const count = async () =>
      ((await api.get(`/v1/folders/${f.id}/passages?limit=1000`)).body as unknown[]).length;
    expect(await count()).toBe(done.total_chunks);

    // A worker that died mid-embedding left the file `embedding` and its job running, with
    // some passages written: the job taken again re-ingests it, and the passages are not doubled.
    const ds = t.app.get(DataSource);
    await ds.query(`UPDATE files SET processing_status = 'embedding', chunks_embedded = 1 WHERE id = $1`, [
      file.id,
    ]);
    await ds.query(`UPDATE jobs SET status = 'running', completed_at = NULL WHERE id = $1`, [job.id]);
    expect(await ingestion.run(api.orgId, job.id, file.id)).toBe('completed');
    expect(await count()).toBe(done.total_chunks);
    const after = (await api.get(`/v1/jobs/${job.id}`)).body;
    expect(after).toMatchObject({ status: 'completed' });
    expect((await api.get(`/v1/folders/${f.id}/files/${file.id}`)).body).toMatchObject({
      processing_status: 'completed',
      chunks_embedded: done.total_chunks,
    });
  });

  it('cancels a job that has not finished: the file ends in error and keeps no passages', async () => {
    const f = await folder();
    const first = (await upload(api, f.id, 'long.txt', document(150, 'first marker'))).body;
    const second = (await upload(api, f.id, 'queued.txt', document(50, 'second marker'))).body;
    const jobs = (await api.get(`/v1/jobs?source_id=${f.id}&order=asc`)).body as Array<{ id: string }>;
    const cancelled = await api.patch(`/v1/jobs/${jobs[1].id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      id: jobs[1].id,
      status: 'cancelled',
      completed_at: expect.any(String),
    });
    const again = await api.patch(`/v1/jobs/${jobs[1].id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      code: 'job_ended',
      detail: expect.stringMatching(/ended \(cancelled\)/),
    });
    const done = await settled(api, f.id, second.id);
    expect(done).toMatchObject({ processing_status: 'error', error_message: 'Ingestion was cancelled' });
    expect((await settled(api, f.id, first.id, 50_000)).processing_status).toBe('completed');
    const passages = (await api.get(`/v1/folders/${f.id}/passages?limit=1000`)).body as Array<{
      file_id: string;
    }>;
    expect(passages.some((p) => p.file_id === second.id)).toBe(false);
    expect((await api.get(`/v1/jobs?active=true`)).body).toEqual([]);
  });
});
