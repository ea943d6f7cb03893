import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { FakeOpenAiServer } from '../support/fake-openai';

const MODEL = 'openai/gpt-4o-mini';
type Tenant = Api & { orgId: string; userId: string };

async function agent(api: Api, name: string): Promise<string> {
  const res = await api.post('/v1/agents/', { name, model: MODEL, embedding: 'local/hash-embedding-v1' });
  if (res.status !== 200) throw new Error(`agent create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const rrf = (v: number | null, f: number | null) =>
  (v === null ? 0 : 1 / (60 + v)) + (f === null ? 0 : 1 / (60 + f));
const q = (params: Record<string, string | string[]>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) s.append(k, x);
  return s.toString();
};

describe('archival memory (e2e)', () => {
  let t: TestApp;
  let root: Api;
  let a: Tenant;
  let b: Tenant;
  let fake: FakeOpenAiServer;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'ok' } });
    t = await startTestApp({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseUrl });
    root = new Api(t.baseUrl);
    a = await newTenant(root, 'arch-a');
    b = await newTenant(root, 'arch-b');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('inserts, lists (paged, ascending by default, search filter) and deletes passages', async () => {
    const id = await agent(a, 'lister');
    const made: string[] = [];
    for (const text of ['alpha one', 'beta two', 'gamma three']) {
      const res = await a.post(`/v1/agents/${id}/archival-memory`, { text, tags: ['x'] });
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body[0]).toMatchObject({ text, tags: ['x'], embedding: null, is_deleted: false });
      expect(res.body[0].id).toMatch(/^passage-/);
      expect(res.body[0].archive_id).toMatch(/^archive-/);
      expect(res.body[0].embedding_config).toMatchObject({
        handle: 'local/hash-embedding-v1',
        embedding_dim: 384,
      });
      made.push(res.body[0].id);
    }
    const all = await a.get(`/v1/agents/${id}/archival-memory`);
    expect(all.status).toBe(200);
    expect(all.body.map((p: { id: string }) => p.id)).toEqual(made);
    const page1 = await a.get(`/v1/agents/${id}/archival-memory?limit=2&ascending=false`);
    expect(page1.body.map((p: { id: string }) => p.id)).toEqual([made[2], made[1]]);
    const page2 = await a.get(`/v1/agents/${id}/archival-memory?limit=2&ascending=false&after=${made[1]}`);
    expect(page2.body.map((p: { id: string }) => p.id)).toEqual([made[0]]);
    const filtered = await a.get(`/v1/agents/${id}/archival-memory?search=BETA`);
    expect(filtered.body.map((p: { text: string }) => p.text)).toEqual(['beta two']);

    const del = await a.delete(`/v1/agents/${id}/archival-memory/${made[1]}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ message: `Memory id=${made[1]} successfully deleted` });
    expect((await a.delete(`/v1/agents/${id}/archival-memory/${made[1]}`)).status).toBe(404);
    expect((await a.get(`/v1/agents/${id}/archival-memory`)).body).toHaveLength(2);
    // The agent got one archive of its own, lazily, named like Letta's.
    const archives = await a.get(`/v1/archives/?agent_id=${id}`);
    expect(archives.body).toHaveLength(1);
    expect(archives.body[0]).toMatchObject({ name: "lister's Archive", vector_db_provider: 'native' });
  });

  it('finds by spelling overlap (vector leg) and by exact words (full-text leg), with RRF scores from the formula', async () => {
    const id = await agent(a, 'searcher');
    const texts = {
      k8s: 'Deploying kubernetes clusters with helm charts',
      sourdough: 'My grandmother baked sourdough bread every sunday',
      invoice: 'The invoice number is ZX-4471 and it is overdue',
      gardening: 'Tomatoes need plenty of sun and water in summer',
    };
    const ids: Record<string, string> = {};
    for (const [k, text] of Object.entries(texts)) {
      ids[k] = (await a.post(`/v1/agents/${id}/archival-memory`, { text })).body[0].id;
    }
    // A misspelling shares character n-grams but no stemmed word: only the vector leg can find it.
    const typo = await a.get(`/v1/agents/${id}/archival-memory/search?${q({ query: 'kubrnetes clustrs' })}`);
    expect(typo.status).toBe(200);
    expect(typo.body.count).toBe(typo.body.results.length);
    const top = typo.body.results[0];
    expect(top).toMatchObject({ id: ids.k8s, content: texts.k8s, vector_rank: 1, fts_rank: null, tags: [] });
    expect(top.rrf_score).toBe(rrf(1, null));
    expect(typeof top.timestamp).toBe('string');

    // An exact rare word: the full-text leg ranks it first, and it is first overall.
    const exact = await a.get(
      `/v1/agents/${id}/archival-memory/search?${q({ query: 'overdue', top_k: '4' })}`,
    );
    const hit = exact.body.results[0];
    expect(hit.id).toBe(ids.invoice);
    expect(hit.fts_rank).toBe(1);
    expect(exact.body.results.filter((r: { fts_rank: number | null }) => r.fts_rank !== null)).toHaveLength(
      1,
    );
    // Every result's score is exactly the RRF formula of its ranks, and the order follows the score.
    for (const r of exact.body.results) expect(r.rrf_score).toBe(rrf(r.vector_rank, r.fts_rank));
    const scores = exact.body.results.map((r: { rrf_score: number }) => r.rrf_score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
    expect(exact.body.results).toHaveLength(4);
    // Vector ranks are a permutation 1..n over this small set (exact scan, no HNSW recall loss).
    expect(exact.body.results.map((r: { vector_rank: number }) => r.vector_rank).sort()).toEqual([
      1, 2, 3, 4,
    ]);

    // Deterministic: the same query gives the same body.
    const again = await a.get(
      `/v1/agents/${id}/archival-memory/search?${q({ query: 'overdue', top_k: '4' })}`,
    );
    expect(again.body).toEqual(exact.body);
  });

  it('filters by tags (any/all) and by date range', async () => {
    const id = await agent(a, 'filters');
    const put = async (text: string, tags: string[], created_at: string) =>
      (await a.post(`/v1/agents/${id}/archival-memory`, { text, tags, created_at })).body[0].id as string;
    const p1 = await put('coffee notes one', ['work', 'coffee'], '2024-01-01T00:00:00Z');
    const p2 = await put('coffee notes two', ['work'], '2024-06-01T00:00:00Z');
    const p3 = await put('coffee notes three', ['coffee'], '2025-01-01T00:00:00Z');
    const search = async (extra: Record<string, string | string[]>) => {
      const res = await a.get(
        `/v1/agents/${id}/archival-memory/search?${q({ query: 'coffee notes', ...extra })}`,
      );
      expect(res.status).toBe(200);
      return res.body.results.map((r: { id: string }) => r.id).sort();
    };
    expect(await search({ tags: ['work', 'coffee'] })).toEqual([p1, p2, p3].sort());
    expect(await search({ tags: ['work', 'coffee'], tag_match_mode: 'all' })).toEqual([p1]);
    expect(await search({ tags: 'coffee' })).toEqual([p1, p3].sort());
    expect(await search({ start_datetime: '2024-03-01T00:00:00Z' })).toEqual([p2, p3].sort());
    expect(
      await search({ start_datetime: '2024-03-01T00:00:00Z', end_datetime: '2024-12-31T00:00:00Z' }),
    ).toEqual([p2]);
    const listed = await a.get(`/v1/agents/${id}/archival-memory`);
    expect(listed.body[0]).toMatchObject({ id: p1, created_at: '2024-01-01T00:00:00.000Z' });
  });

  it('rejects bad input with 422 and a detail', async () => {
    const id = await agent(a, 'bad-input');
    const cases: Array<Promise<{ status: number; body: { detail?: string } }>> = [
      a.get(`/v1/agents/${id}/archival-memory/search?query=`),
      a.get(`/v1/agents/${id}/archival-memory/search?query=%20%20`),
      a.get(`/v1/agents/${id}/archival-memory/search?query=x&tag_match_mode=some`),
      a.get(`/v1/agents/${id}/archival-memory/search`),
      a.post(`/v1/agents/${id}/archival-memory`, { text: 'x'.repeat(100_001) }),
      a.post(`/v1/agents/${id}/archival-memory`, { text: '' }),
      a.post(`/v1/agents/${id}/archival-memory`, { text: 'ok', created_at: 'yesterday' }),
      a.post(`/v1/agents/${id}/archival-memory`, { text: 'ok', unknown_field: 1 }),
      a.get(`/v1/agents/not-an-id/archival-memory`),
      a.delete(`/v1/agents/${id}/archival-memory/passage-123`),
      a.get(`/v1/archives/archive-nope`),
      a.post('/v1/passages/search', { query: '' }),
      a.post('/v1/passages/search', { query: 'x', tag_match_mode: 'every' }),
      a.post('/v1/passages/search', { query: 'x', agent_id: 'agent-bad' }),
      a.post('/v1/messages/search', { query: '' }),
      a.post('/v1/messages/search', { query: 'x', search_mode: 'magic' }),
      a.post('/v1/messages/search', {}),
      a.post('/v1/archives/', { name: 'e', embedding: 'nope/none' }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(422);
      expect(typeof res.body.detail).toBe('string');
    }
    expect(
      (await a.get(`/v1/agents/${id.replace(/.$/, id.endsWith('0') ? '1' : '0')}/archival-memory`)).status,
    ).toBe(404);
  });

  it('archives: CRUD, passages single and batch, sharing between agents, deleting an agent keeps shared archives', async () => {
    const created = await a.post('/v1/archives/', { name: 'team-notes', description: 'shared' });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      name: 'team-notes',
      description: 'shared',
      vector_db_provider: 'native',
      embedding_config: { handle: 'local/hash-embedding-v1', embedding_dim: 384 },
    });
    const archiveId = created.body.id;
    expect(archiveId).toMatch(/^archive-/);
    expect((await a.get(`/v1/archives/${archiveId}`)).body.name).toBe('team-notes');
    const patched = await a.patch(`/v1/archives/${archiveId}`, { description: 'shared notes' });
    expect(patched.body).toMatchObject({ name: 'team-notes', description: 'shared notes' });
    expect((await a.get(`/v1/archives/?name=team-notes`)).body.map((x: { id: string }) => x.id)).toEqual([
      archiveId,
    ]);

    const one = await a.post(`/v1/archives/${archiveId}/passages`, {
      text: 'The release train leaves on Thursdays',
      metadata: { src: 'wiki' },
    });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ archive_id: archiveId, metadata: { src: 'wiki' }, tags: [] });
    const batch = await a.post(`/v1/archives/${archiveId}/passages/batch`, {
      passages: [
        { text: 'Oncall rotation changes every Monday', tags: ['ops'] },
        { text: 'Staging database is rebuilt nightly' },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body).toHaveLength(2);

    const writer = await agent(a, 'writer');
    const reader = await agent(a, 'reader');
    for (const ag of [writer, reader]) {
      const res = await a.patch(`/v1/agents/${ag}/archives/attach/${archiveId}`);
      expect(res.status).toBe(200);
    }
    // The writer has no archive of its own, so its insert lands in the shared one; the reader sees it.
    const inserted = await a.post(`/v1/agents/${writer}/archival-memory`, {
      text: 'Writer remembers the quarterly budget',
    });
    expect(inserted.body[0].archive_id).toBe(archiveId);
    const found = await a.get(
      `/v1/agents/${reader}/archival-memory/search?${q({ query: 'quarterly budget' })}`,
    );
    expect(found.body.results[0].id).toBe(inserted.body[0].id);
    expect((await a.get(`/v1/agents/${reader}/archival-memory`)).body).toHaveLength(4);
    expect((await a.get(`/v1/archives/?agent_id=${reader}`)).body.map((x: { id: string }) => x.id)).toEqual([
      archiveId,
    ]);

    // Deleting the writer keeps the shared archive and its passages for the reader.
    expect((await a.delete(`/v1/agents/${writer}`)).status).toBeLessThan(300);
    expect((await a.get(`/v1/agents/${reader}/archival-memory`)).body).toHaveLength(4);

    // Archive-scoped and agent-scoped passage search.
    const byArchive = await a.post('/v1/passages/search', {
      query: 'oncall rotation',
      archive_id: archiveId,
      limit: 2,
    });
    expect(byArchive.status).toBe(200);
    expect(byArchive.body).toHaveLength(2);
    expect(byArchive.body[0].passage.text).toBe('Oncall rotation changes every Monday');
    expect(byArchive.body[0].score).toBe(byArchive.body[0].metadata.rrf_score);
    expect(byArchive.body[0].metadata).toMatchObject({ vector_rank: 1, fts_rank: 1 });
    const tagged = await a.post('/v1/passages/search', { agent_id: reader, tags: ['ops'] });
    expect(tagged.body.map((r: { passage: { text: string } }) => r.passage.text)).toEqual([
      'Oncall rotation changes every Monday',
    ]);
    expect(tagged.body[0]).toMatchObject({ score: 0, metadata: { vector_rank: null, fts_rank: null } });

    // Detach: the reader no longer sees it; delete passage and archive.
    expect((await a.patch(`/v1/agents/${reader}/archives/detach/${archiveId}`)).status).toBe(200);
    expect((await a.get(`/v1/agents/${reader}/archival-memory`)).body).toHaveLength(0);
    expect((await a.delete(`/v1/archives/${archiveId}/passages/${one.body.id}`)).status).toBe(204);
    expect((await a.delete(`/v1/archives/${archiveId}/passages/${one.body.id}`)).status).toBe(404);
    expect((await a.delete(`/v1/archives/${archiveId}`)).status).toBe(204);
    expect((await a.get(`/v1/archives/${archiveId}`)).status).toBe(404);
  });

  it('isolates tenants: org B never sees org A passages, archives or messages', async () => {
    const id = await agent(a, 'secretive');
    const secret = (await a.post(`/v1/agents/${id}/archival-memory`, { text: 'The vault code is platypus' }))
      .body[0];
    const archive = (await a.post('/v1/archives/', { name: 'a-private' })).body;
    await a.post(`/v1/archives/${archive.id}/passages`, { text: 'platypus archive note' });
    const bAgent = await agent(b, 'nosy');

    expect((await b.get(`/v1/agents/${id}/archival-memory`)).status).toBe(404);
    expect((await b.get(`/v1/agents/${id}/archival-memory/search?query=platypus`)).status).toBe(404);
    expect((await b.post(`/v1/agents/${id}/archival-memory`, { text: 'intrusion' })).status).toBe(404);
    expect((await b.delete(`/v1/agents/${id}/archival-memory/${secret.id}`)).status).toBe(404);
    expect((await b.delete(`/v1/agents/${bAgent}/archival-memory/${secret.id}`)).status).toBe(404);
    expect((await b.get(`/v1/agents/${bAgent}/archival-memory?after=${secret.id}`)).status).toBe(404);
    expect((await b.get(`/v1/archives/${archive.id}`)).status).toBe(404);
    expect((await b.patch(`/v1/archives/${archive.id}`, { name: 'mine' })).status).toBe(404);
    expect((await b.delete(`/v1/archives/${archive.id}`)).status).toBe(404);
    expect((await b.post(`/v1/archives/${archive.id}/passages`, { text: 'x' })).status).toBe(404);
    expect((await b.patch(`/v1/agents/${bAgent}/archives/attach/${archive.id}`)).status).toBe(404);
    expect((await b.get('/v1/archives/')).body.map((x: { id: string }) => x.id)).not.toContain(archive.id);
    expect((await b.get(`/v1/archives/?after=${archive.id}`)).status).toBe(404);
    expect((await b.post('/v1/passages/search', { query: 'platypus' })).body).toEqual([]);
    expect((await b.post('/v1/passages/search', {})).body).toEqual([]);
    expect((await b.post('/v1/passages/search', { query: 'platypus', archive_id: archive.id })).status).toBe(
      404,
    );
    expect((await b.post('/v1/passages/search', { query: 'platypus', agent_id: id })).status).toBe(404);
    expect((await b.post('/v1/messages/search', { query: 'platypus' })).body).toEqual([]);
    expect((await b.post('/v1/messages/search', { query: 'platypus', agent_id: id })).status).toBe(404);
    // Org A does see both through the org-wide search.
    const mine = await a.post('/v1/passages/search', { query: 'platypus' });
    expect(mine.body.map((r: { passage: { id: string } }) => r.passage.id)).toContain(secret.id);
  });

  it("stores and finds a passage through the agent's own tool calls (fake LLM), same code as REST search", async () => {
    const id = await agent(a, 'tool-user');
    const other = await agent(b, 'tool-user-b');
    // Another tenant's passage with the same words must never come back.
    await b.post(`/v1/agents/${other}/archival-memory`, {
      text: 'The deploy window for project orion is Friday',
      tags: ['ops'],
    });

    fake.enqueue(
      {
        toolCalls: [
          {
            name: 'archival_memory_insert',
            arguments: {
              content: 'Project Orion deploys happen on Tuesdays after standup',
              tags: ['ops', 'orion'],
            },
          },
        ],
      },
      { content: 'Noted.' },
    );
    const stored = await a.post(`/v1/agents/${id}/messages`, {
      input: 'Remember: Orion deploys on Tuesdays.',
    });
    expect(stored.status).toBe(200);
    const insertReturn = stored.body.messages.find((m: any) => m.message_type === 'tool_return_message');
    expect(insertReturn).toMatchObject({ status: 'success', name: 'archival_memory_insert' });

    // The passage is real: REST sees it, with its tags and an embedding from the agent's model.
    const listed = await a.get(`/v1/agents/${id}/archival-memory`);
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toMatchObject({ text: 'Project Orion deploys happen on Tuesdays after standup' });
    expect([...listed.body[0].tags].sort()).toEqual(['ops', 'orion']);

    fake.enqueue(
      {
        toolCalls: [
          { name: 'archival_memory_search', arguments: { query: 'when does orion deploy', tags: ['ops'] } },
        ],
      },
      { content: 'On Tuesdays.' },
    );
    const found = await a.post(`/v1/agents/${id}/messages`, { input: 'When do we deploy Orion?' });
    expect(found.status).toBe(200);
    const searchReturn = found.body.messages.find((m: any) => m.message_type === 'tool_return_message');
    expect(searchReturn.status).toBe('success');
    const results = JSON.parse(searchReturn.tool_return);
    expect(results.map((r: any) => r.content)).toEqual([
      'Project Orion deploys happen on Tuesdays after standup',
    ]);
    expect(results[0].id).toBe(listed.body[0].id);
    // The model saw the tool result in its next request.
    const toolMsg = fake.lastRequest!.body.messages.filter((m: any) => m.role === 'tool').at(-1);
    expect(String(toolMsg.content)).toContain('Tuesdays after standup');
    expect(String(toolMsg.content)).not.toContain('Friday');

    // The REST search answers with the same passage first.
    const rest = await a.get(
      `/v1/agents/${id}/archival-memory/search?${q({ query: 'when does orion deploy', tags: ['ops'] })}`,
    );
    expect(rest.status).toBe(200);
    expect(rest.body.results.map((r: any) => r.id)).toEqual([listed.body[0].id]);
    expect(JSON.stringify(rest.body)).not.toContain('Friday');
  });

  it('conversation_search never finds its own earlier results (they would grow with every search)', async () => {
    const id = await agent(a, 'recall-user');
    fake.enqueue({ content: 'Green tea it is.' });
    expect(
      (await a.post(`/v1/agents/${id}/messages`, { input: 'I drink green tea every morning' })).status,
    ).toBe(200);
    const searchOnce = async () => {
      fake.enqueue(
        { toolCalls: [{ name: 'conversation_search', arguments: { query: 'green tea' } }] },
        { content: 'You like green tea.' },
      );
      const res = await a.post(`/v1/agents/${id}/messages`, { input: 'What do I drink?' });
      expect(res.status).toBe(200);
      const ret = res.body.messages.find((m: any) => m.message_type === 'tool_return_message');
      expect(ret.status).toBe('success');
      return JSON.parse(ret.tool_return) as { results: Array<{ role: string; content: string }> };
    };
    const first = await searchOnce();
    const second = await searchOnce();
    for (const found of [first, second]) {
      expect(found.results.some((r) => r.content.includes('I drink green tea every morning'))).toBe(true);
      expect(found.results.some((r) => r.content.includes('matching message'))).toBe(false);
    }
    // The REST search renders a letta_v1 agent's replies as assistant messages, and a tool
    // call's search text never as a message of its own.
    const rest = await a.post('/v1/messages/search', { query: 'green tea', agent_id: id, limit: 50 });
    expect(rest.status).toBe(200);
    const replies = rest.body
      .filter((m: any) => m.message_type === 'assistant_message')
      .map((m: any) => m.content);
    expect(replies).toEqual(expect.arrayContaining(['Green tea it is.', 'You like green tea.']));
    expect(rest.body.filter((m: any) => m.message_type === 'reasoning_message')).toEqual([]);
    expect(JSON.stringify(rest.body)).not.toContain('conversation_search');
  });
});
