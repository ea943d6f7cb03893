import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { makeDocx, makePdf } from '../support/documents';
import { settled, upload } from '../support/folders';

const MODEL = 'openai/gpt-4o-mini';
type Tenant = Api & { orgId: string; userId: string };

describe('folders and files (e2e)', () => {
  let t: TestApp;
  let api: Tenant;
  let other: Tenant;

  beforeAll(async () => {
    t = await startTestApp({ ENGRAM_FILE_UPLOAD_LIMIT_MB: '1', ENGRAM_PROCESS_JOBS: 'true' });
    const root = new Api(t.baseUrl);
    api = await newTenant(root, 'folders');
    other = await newTenant(root, 'folders-other');
  });
  afterAll(() => t.close());

  const folder = async (a: Api, body: Record<string, unknown> = {}) => {
    const res = await a.post('/v1/folders', { name: `f-${Math.random().toString(36).slice(2)}`, ...body });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('creates, reads, lists, renames, counts and deletes folders; /v1/sources is the same', async () => {
    const created = await api.post('/v1/folders', {
      name: 'docs',
      description: 'manuals',
      instructions: 'read me',
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^source-[0-9a-f-]{36}$/),
      name: 'docs',
      description: 'manuals',
      instructions: 'read me',
      metadata: null,
      embedding_config: expect.objectContaining({ handle: 'local/hash-embedding-v1', embedding_dim: 384 }),
      vector_db_provider: 'native',
      organization_id: api.orgId,
      created_by_id: api.userId,
      last_updated_by_id: api.userId,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const id = created.body.id;
    expect((await api.get(`/v1/folders/${id}`)).body).toEqual(created.body);
    expect((await api.get(`/v1/sources/${id}`)).body).toEqual(created.body);
    expect((await api.post('/v1/folders', { name: 'docs' })).status).toBe(409);
    const second = await folder(api, { name: 'notes' });
    const ids = async (q: string) => (await api.get(`/v1/folders${q}`)).body.map((f: { id: string }) => f.id);
    expect(await ids('')).toEqual([id, second.id]);
    expect(await ids('?order=desc')).toEqual([second.id, id]);
    expect(await ids('?name=notes')).toEqual([second.id]);
    expect(await ids(`?after=${id}`)).toEqual([second.id]);
    expect((await api.get('/v1/folders/count')).body).toBe(2);

    const renamed = await api.patch(`/v1/folders/${id}`, { name: 'manuals', metadata: { k: 1 } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'manuals', metadata: { k: 1 }, description: 'manuals' });
    expect((await api.patch(`/v1/folders/${id}`, { name: 'notes' })).status).toBe(409);
    expect((await api.patch(`/v1/folders/${id}`, { colour: 'red' })).status).toBe(422);

    expect((await api.delete(`/v1/sources/${second.id}`)).status).toBe(200);
    expect((await api.get(`/v1/folders/${second.id}`)).status).toBe(404);
    await api.delete(`/v1/folders/${id}`);
  });

  it('refuses bad folders: an unknown embedding model, unknown fields, malformed ids', async () => {
    const bad = await api.post('/v1/folders', { name: 'x', embedding: 'nowhere/model' });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/nowhere\/model/);
    expect((await api.post('/v1/folders', {})).status).toBe(422);
    expect((await api.get('/v1/folders/not-an-id')).status).toBe(422);
    expect((await api.get('/v1/folders/source-00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('uploads a text file: pending at once, then parsed, chunked and embedded, with a completed job', async () => {
    const f = await folder(api);
    const lines = Array.from(
      { length: 400 },
      (_, i) => `Line ${i + 1}: the harbour log notes ship number ${i}.`,
    );
    lines[250] = 'Line 251: the lighthouse keeper hid the brass key under the third step.';
    const res = await upload(api, f.id, 'log.txt', lines.join('\n'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^file-/),
      source_id: f.id,
      file_name: 'log.txt',
      original_file_name: 'log.txt',
      file_type: 'text/plain',
      file_size: Buffer.byteLength(lines.join('\n')),
      processing_status: 'pending',
    });
    const done = await settled(api, f.id, res.body.id);
    expect(done).toMatchObject({ processing_status: 'completed', error_message: null });
    expect(done.total_chunks).toBeGreaterThan(5);
    expect(done.chunks_embedded).toBe(done.total_chunks);
    expect(done.content).toBeNull();
    const withContent = await api.get(`/v1/folders/${f.id}/files/${res.body.id}?include_content=true`);
    expect(withContent.body.content).toBe(lines.join('\n'));

    const jobs = await api.get(`/v1/jobs?source_id=${f.id}`);
    expect(jobs.status).toBe(200);
    expect(jobs.body).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(/^job-/),
        status: 'completed',
        completed_at: expect.any(String),
        metadata: expect.objectContaining({ type: 'embedding', file_id: res.body.id, source_id: f.id }),
        progress: { stage: 'embedding', done: done.total_chunks, total: done.total_chunks },
      }),
    ]);
    const job = await api.get(`/v1/jobs/${jobs.body[0].id}`);
    expect(job.body).toEqual(jobs.body[0]);
    expect((await api.get('/v1/jobs?active=true')).body).toEqual([]);
    // A finished job cannot be cancelled; it can be deleted.
    const refused = await api.patch(`/v1/jobs/${job.body.id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'job_ended',
      detail: `Job '${job.body.id}' has already ended (completed); only a created, pending or running job can be cancelled`,
    });
    expect((await api.get(`/v1/jobs/${job.body.id}`)).body).toEqual(job.body);
    expect((await api.delete(`/v1/jobs/${job.body.id}`)).status).toBe(200);
    expect((await api.get(`/v1/jobs/${job.body.id}`)).status).toBe(404);

    // Passages carry the file, the folder and the line range of each chunk.
    const passages = await api.get(`/v1/folders/${f.id}/passages?limit=1000`);
    expect(passages.status).toBe(200);
    expect(passages.body).toHaveLength(done.total_chunks);
    const hit = passages.body.find((p: { text: string }) => p.text.includes('brass key'));
    expect(hit).toMatchObject({ file_id: res.body.id, source_id: f.id, file_name: `${f.name}/log.txt` });
    expect(hit.metadata.start_line).toBeLessThanOrEqual(251);
    expect(hit.metadata.end_line).toBeGreaterThanOrEqual(251);
  });

  it('parses markdown, HTML, JSON, CSV, PDF and DOCX', async () => {
    const f = await folder(api);
    const cases: Array<[string, Buffer | string, string, string]> = [
      [
        'notes.md',
        '# Title\n\nThe **otter** keeps the ledger.\n',
        'text/markdown',
        'The **otter** keeps the ledger.',
      ],
      [
        'page.html',
        '<html><head><style>p{}</style><script>x()</script></head><body><h1>Fox &amp; Hound</h1><p>The fox found the map.</p></body></html>',
        'text/html',
        'Fox & Hound\n\nThe fox found the map.',
      ],
      [
        'data.json',
        '{"animal":"badger","count":3}',
        'application/json',
        '{\n  "animal": "badger",\n  "count": 3\n}',
      ],
      ['rows.csv', 'name,role\nwren,scout\nkite,pilot\n', 'text/csv', 'name,role\nwren,scout\nkite,pilot\n'],
      [
        'report.pdf',
        makePdf(['The walrus code is 4411', 'Second line here']),
        'application/pdf',
        'The walrus code is 4411\nSecond line here',
      ],
      [
        'memo.docx',
        makeDocx(['The heron code is 77', 'Another paragraph']),
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'The heron code is 77',
      ],
    ];
    for (const [name, data, type, text] of cases) {
      const res = await upload(api, f.id, name, data);
      expect([name, res.status]).toEqual([name, 200]);
      expect(res.body.file_type).toBe(type);
      const done = await settled(api, f.id, res.body.id);
      expect([name, done.processing_status, done.error_message]).toEqual([name, 'completed', null]);
      const content = (await api.get(`/v1/folders/${f.id}/files/${res.body.id}?include_content=true`)).body
        .content;
      expect([name, content]).toEqual([name, expect.stringContaining(text)]);
    }
    const listed = await api.get(`/v1/folders/${f.id}/files?include_content=true&order=asc`);
    expect(listed.body.map((x: { file_name: string }) => x.file_name)).toEqual(cases.map((c) => c[0]));
    expect(listed.body[0].content).toContain('otter');
  });

  it('ends a corrupt PDF or invalid JSON in error with a message, and the next upload completes', async () => {
    const f = await folder(api);
    const pdf = await upload(api, f.id, 'broken.pdf', Buffer.from('%PDF-1.4\nthis is not really a pdf'));
    expect(pdf.status).toBe(200);
    const failed = await settled(api, f.id, pdf.body.id);
    expect(failed.processing_status).toBe('error');
    expect(failed.error_message).toMatch(/not a readable PDF/);
    const json = await settled(api, f.id, (await upload(api, f.id, 'bad.json', '{"a":')).body.id);
    expect(json).toMatchObject({
      processing_status: 'error',
      error_message: expect.stringMatching(/not valid JSON/),
    });
    const jobs = (await api.get(`/v1/jobs?source_id=${f.id}&order=asc`)).body;
    expect(jobs.map((j: { status: string }) => j.status)).toEqual(['failed', 'failed']);
    expect(jobs[0].metadata.error).toMatch(/not a readable PDF/);
    const refused = await api.patch(`/v1/jobs/${jobs[0].id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/has already ended \(failed\)/);
    const ok = await settled(api, f.id, (await upload(api, f.id, 'fine.txt', 'all good')).body.id);
    expect(ok.processing_status).toBe('completed');
  });

  it('handles duplicate names: suffix (default), skip, error, replace', async () => {
    const f = await folder(api);
    const first = await upload(api, f.id, 'a.txt', 'one');
    await settled(api, f.id, first.body.id);
    const suffixed = await upload(api, f.id, 'a.txt', 'two');
    expect(suffixed.body).toMatchObject({ file_name: 'a_(1).txt', original_file_name: 'a.txt' });
    const again = await upload(api, f.id, 'a.txt', 'three', '?duplicate_handling=suffix');
    expect(again.body.file_name).toBe('a_(2).txt');
    const skipped = await upload(api, f.id, 'a.txt', 'four', '?duplicate_handling=skip');
    expect(skipped.status).toBe(200);
    expect(skipped.headers.get('x-upload-result')).toBe('skipped');
    expect(skipped.body.id).toBe(first.body.id);
    const refused = await upload(api, f.id, 'a.txt', 'five', '?duplicate_handling=error');
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/already exists/);
    const replaced = await upload(api, f.id, 'a.txt', 'six', '?duplicate_handling=replace');
    expect(replaced.body.file_name).toBe('a.txt');
    expect(replaced.body.id).not.toBe(first.body.id);
    expect((await api.get(`/v1/folders/${f.id}/files/${first.body.id}`)).status).toBe(404);
    const named = await upload(api, f.id, 'whatever.txt', 'seven', '?name=custom.md');
    expect(named.body).toMatchObject({ file_name: 'custom.md', file_type: 'text/markdown' });
    expect((await upload(api, f.id, 'x.txt', 'y', '?duplicate_handling=merge')).status).toBe(422);
    await settled(api, f.id, named.body.id);
    const content = await api.get(`/v1/folders/${f.id}/files/${replaced.body.id}?include_content=true`);
    expect((await settled(api, f.id, replaced.body.id)).processing_status).toBe('completed');
    expect(content.status).toBe(200);
  });

  it('refuses 413 over the size limit, 415 for an unsupported type or a non-multipart body; stores nothing', async () => {
    const f = await folder(api);
    const big = await upload(api, f.id, 'big.txt', 'x'.repeat(1024 * 1024 + 10));
    expect(big.status).toBe(413);
    expect(big.body.detail).toMatch(/ENGRAM_FILE_UPLOAD_LIMIT_MB/);
    const exe = await upload(
      api,
      f.id,
      'tool.exe',
      Buffer.from([0x4d, 0x5a, 0, 1]),
      '',
      'application/x-msdownload',
    );
    expect(exe.status).toBe(415);
    expect(exe.body.detail).toMatch(/unsupported file type/);
    const json = await api.post(`/v1/folders/${f.id}/upload`, { file: 'x' });
    expect(json.status).toBe(415);
    expect((await api.get(`/v1/folders/${f.id}/files`)).body).toEqual([]);
    expect((await api.get(`/v1/jobs?source_id=${f.id}`)).body).toEqual([]);
    const unknown = await upload(api, 'source-00000000-0000-4000-8000-000000000000', 'a.txt', 'x');
    expect(unknown.status).toBe(404);
  });

  it('attaches folders to agents (routes and folder_ids/source_ids), with file views, blocks, open and close', async () => {
    const f = await folder(api, { name: 'handbook', description: 'Team handbook' });
    const files = [];
    for (const name of ['a.md', 'b.md', 'c.md']) {
      const res = await upload(api, f.id, name, `# ${name}\n\nContents of ${name}, line two.\nline three`);
      files.push(await settled(api, f.id, res.body.id));
    }
    const agent = (await api.post('/v1/agents', { model: MODEL, max_files_open: 2 })).body;
    const attached = await api.patch(`/v1/agents/${agent.id}/folders/attach/${f.id}`);
    expect(attached.status).toBe(200);
    expect(attached.body.sources).toEqual([expect.objectContaining({ id: f.id, name: 'handbook' })]);
    const blocks = attached.body.memory.file_blocks;
    expect(blocks.map((b: { label: string }) => b.label)).toEqual([
      'handbook/a.md',
      'handbook/b.md',
      'handbook/c.md',
    ]);
    // The newest files open, up to the agent's limit.
    expect(blocks.map((b: { is_open: boolean }) => b.is_open)).toEqual([false, true, true]);
    expect(blocks[2]).toMatchObject({ file_id: files[2].id, source_id: f.id });
    expect(blocks[2].value).toContain('1: # c.md');
    expect(blocks[0].value).toBe('');

    expect((await api.get(`/v1/folders/${f.id}/agents`)).body).toEqual([agent.id]);
    expect((await api.get(`/v1/agents/${agent.id}/folders`)).body).toEqual([
      expect.objectContaining({ id: f.id }),
    ]);
    expect((await api.get(`/v1/agents/${agent.id}/sources`)).body).toEqual([
      expect.objectContaining({ id: f.id }),
    ]);

    const page = await api.get(`/v1/agents/${agent.id}/files?order=asc&limit=2`);
    expect(page.status).toBe(200);
    expect(page.body).toEqual({
      files: [
        expect.objectContaining({
          file_id: files[0].id,
          file_name: 'handbook/a.md',
          folder_id: f.id,
          folder_name: 'handbook',
          is_open: false,
          visible_content: null,
        }),
        expect.objectContaining({
          file_id: files[1].id,
          is_open: true,
          visible_content: expect.stringContaining('Contents of b.md'),
        }),
      ],
      next_cursor: page.body.files[1].id,
      has_more: true,
    });
    const rest = await api.get(
      `/v1/agents/${agent.id}/files?order=asc&limit=2&after=${page.body.next_cursor}`,
    );
    expect(rest.body).toEqual({
      files: [expect.objectContaining({ file_id: files[2].id })],
      next_cursor: null,
      has_more: false,
    });
    expect(
      (await api.get(`/v1/agents/${agent.id}/files?is_open=false`)).body.files.map(
        (x: { file_id: string }) => x.file_id,
      ),
    ).toEqual([files[0].id]);

    // Opening a third file closes the least recently used one.
    const opened = await api.patch(`/v1/agents/${agent.id}/files/${files[0].id}/open`);
    expect(opened.status).toBe(200);
    expect(opened.body).toEqual(['handbook/b.md']);
    const closed = await api.patch(`/v1/agents/${agent.id}/files/${files[2].id}/close`);
    expect(closed.body).toEqual({ message: `File id=${files[2].id} successfully closed` });
    expect((await api.patch(`/v1/agents/${agent.id}/files/close-all`)).body).toEqual(['handbook/a.md']);
    expect((await api.get(`/v1/agents/${agent.id}/files?is_open=true`)).body.files).toEqual([]);

    // A file uploaded later reaches the agent, opened once ingested.
    const later = await upload(api, f.id, 'd.md', 'late arrival');
    await settled(api, f.id, later.body.id);
    const state = (await api.get(`/v1/agents/${agent.id}`)).body;
    expect(
      state.memory.file_blocks.find((b: { file_id: string }) => b.file_id === later.body.id),
    ).toMatchObject({ is_open: true, value: expect.stringContaining('late arrival') });

    // Deleting a file removes its passages and its block.
    expect((await api.delete(`/v1/folders/${f.id}/${later.body.id}`)).status).toBe(200);
    const after = (await api.get(`/v1/agents/${agent.id}`)).body;
    expect(after.memory.file_blocks.map((b: { file_id: string }) => b.file_id)).not.toContain(later.body.id);
    const passages = (await api.get(`/v1/folders/${f.id}/passages`)).body;
    expect(passages.some((p: { file_id: string }) => p.file_id === later.body.id)).toBe(false);

    // Detaching removes the blocks.
    const detached = await api.patch(`/v1/agents/${agent.id}/folders/detach/${f.id}`);
    expect(detached.body.sources).toEqual([]);
    expect(detached.body.memory.file_blocks).toEqual([]);
    expect((await api.get(`/v1/agents/${agent.id}/files`)).body.files).toEqual([]);

    // folder_ids / source_ids on create and update; an unknown id is a 404 and writes nothing.
    const created = await api.post('/v1/agents', { model: MODEL, folder_ids: [f.id] });
    expect(created.status).toBe(200);
    expect(created.body.sources.map((s: { id: string }) => s.id)).toEqual([f.id]);
    const viaSources = await api.post('/v1/agents', { model: MODEL, source_ids: [f.id] });
    expect(viaSources.body.sources.map((s: { id: string }) => s.id)).toEqual([f.id]);
    const missing = 'source-00000000-0000-4000-8000-000000000000';
    const before = (await api.get('/v1/agents/count')).body;
    const refused = await api.post('/v1/agents', { model: MODEL, folder_ids: [missing] });
    expect(refused.status).toBe(404);
    expect(refused.body.detail).toContain(missing);
    expect((await api.get('/v1/agents/count')).body).toBe(before);
    expect((await api.post('/v1/agents', { model: MODEL, folder_ids: ['nope'] })).status).toBe(422);
    const cleared = await api.patch(`/v1/agents/${created.body.id}`, { folder_ids: [] });
    expect(cleared.body.sources).toEqual([]);
    expect((await api.patch(`/v1/agents/${created.body.id}`, { source_ids: [missing] })).status).toBe(404);
    const readded = await api.patch(`/v1/agents/${created.body.id}`, { source_ids: [f.id] });
    expect(readded.body.sources.map((s: { id: string }) => s.id)).toEqual([f.id]);
    expect(readded.body.memory.file_blocks).toHaveLength(3);
  });

  it("answers 404 for another tenant's folders, files, jobs and agents", async () => {
    const f = await folder(api);
    const file = await upload(api, f.id, 'secret.txt', 'the vault code is 9911');
    await settled(api, f.id, file.body.id);
    const job = (await api.get(`/v1/jobs?source_id=${f.id}`)).body[0];
    const agent = (await api.post('/v1/agents', { model: MODEL, folder_ids: [f.id] })).body;
    const mine = (await other.post('/v1/agents', { model: MODEL })).body;
    const paths: Array<[string, string]> = [
      ['GET', `/v1/folders/${f.id}`],
      ['PATCH', `/v1/folders/${f.id}`],
      ['DELETE', `/v1/folders/${f.id}`],
      ['GET', `/v1/folders/${f.id}/files`],
      ['GET', `/v1/folders/${f.id}/files/${file.body.id}`],
      ['DELETE', `/v1/folders/${f.id}/${file.body.id}`],
      ['GET', `/v1/folders/${f.id}/agents`],
      ['GET', `/v1/folders/${f.id}/passages`],
      ['GET', `/v1/jobs/${job.id}`],
      ['PATCH', `/v1/jobs/${job.id}/cancel`],
      ['DELETE', `/v1/jobs/${job.id}`],
      ['GET', `/v1/agents/${agent.id}/folders`],
      ['GET', `/v1/agents/${agent.id}/files`],
      ['PATCH', `/v1/agents/${agent.id}/files/${file.body.id}/open`],
      ['PATCH', `/v1/agents/${agent.id}/files/close-all`],
      ['PATCH', `/v1/agents/${mine.id}/folders/attach/${f.id}`],
      ['PATCH', `/v1/agents/${mine.id}/files/${file.body.id}/open`],
    ];
    for (const [method, path] of paths) {
      const res = await other.request(method, path, method === 'PATCH' ? {} : undefined);
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    expect((await upload(other, f.id, 'x.txt', 'y')).status).toBe(404);
    expect((await other.post('/v1/agents', { model: MODEL, folder_ids: [f.id] })).status).toBe(404);
    expect((await other.get('/v1/folders')).body).toEqual([]);
    expect((await other.get('/v1/jobs')).body).toEqual([]);
    // Nothing changed for the owner.
    expect((await api.get(`/v1/folders/${f.id}/files/${file.body.id}`)).body.processing_status).toBe(
      'completed',
    );
    expect((await api.get(`/v1/agents/${agent.id}/files`)).body.files).toHaveLength(1);
  });

  it('deletes a folder with its files, passages and the agents’ views', async () => {
    const f = await folder(api);
    const file = await upload(api, f.id, 'gone.txt', 'soon gone');
    await settled(api, f.id, file.body.id);
    const agent = (await api.post('/v1/agents', { model: MODEL, folder_ids: [f.id] })).body;
    expect((await api.delete(`/v1/folders/${f.id}`)).status).toBe(200);
    const state = (await api.get(`/v1/agents/${agent.id}`)).body;
    expect(state.sources).toEqual([]);
    expect(state.memory.file_blocks).toEqual([]);
    expect((await api.get(`/v1/folders/${f.id}/files/${file.body.id}`)).status).toBe(404);
  });
});
