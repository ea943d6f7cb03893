import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';

describe('agents (e2e)', () => {
  let t: TestApp;
  let root: Api;
  let api: Api & { orgId: string; userId: string };

  beforeAll(async () => {
    t = await startTestApp();
    root = new Api(t.baseUrl);
    api = await newTenant(root, 'agents');
  });
  afterAll(() => t.close());

  it('creates an agent with memory blocks, tags and metadata, in Letta’s shape', async () => {
    const res = await api.post('/v1/agents/', {
      name: 'support-bot',
      model: MODEL,
      description: 'answers questions',
      memory_blocks: [
        { label: 'human', value: 'Name: Ada', limit: 500 },
        { label: 'persona', value: 'I am helpful.' },
      ],
      tags: ['prod', 'support'],
      metadata: { team: 'core' },
    });
    expect(res.status).toBe(200);
    const a = res.body;
    expect(a.id).toMatch(/^agent-[0-9a-f-]{36}$/);
    expect(a).toMatchObject({
      name: 'support-bot',
      agent_type: 'letta_v1_agent',
      description: 'answers questions',
      tags: ['prod', 'support'],
      metadata: { team: 'core' },
      model: MODEL,
      llm_config: expect.objectContaining({
        model: 'gpt-4o-mini',
        model_endpoint_type: 'openai',
        handle: MODEL,
      }),
      embedding_config: expect.objectContaining({ embedding_dim: expect.any(Number) }),
      tools: expect.any(Array),
      sources: [],
    });
    expect(typeof a.system).toBe('string');
    expect(a.system.length).toBeGreaterThan(20);
    expect(a.blocks.map((b: any) => [b.label, b.value, b.limit])).toEqual([
      ['human', 'Name: Ada', 500],
      ['persona', 'I am helpful.', expect.any(Number)],
    ]);
    expect(a.memory.blocks).toHaveLength(2);
    const got = await api.get(`/v1/agents/${a.id}`);
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(a.id);
    expect(got.body.blocks.map((b: any) => b.id)).toEqual(a.blocks.map((b: any) => b.id));
  });

  it('refuses bad input with 422 and a detail naming the problem, creating nothing', async () => {
    const before = (await api.get('/v1/agents/count')).body;
    const cases: [unknown, RegExp][] = [
      [{ model: MODEL, bogus_field: 1 }, /bogus_field/],
      [{ model: 'no-slash' }, /model/],
      [{ model: 'martian/gpt' }, /unknown provider 'martian'/],
      [{}, /model is required/],
      [{ model: MODEL, agent_type: 'robot' }, /agent_type/],
      [
        { model: MODEL, memory_blocks: [{ label: 'human', value: 'x'.repeat(20), limit: 10 }] },
        /limit of 10/,
      ],
      [
        {
          model: MODEL,
          memory_blocks: [
            { label: 'a', value: '1' },
            { label: 'a', value: '2' },
          ],
        },
        /label 'a'/,
      ],
      [{ model: MODEL, block_ids: ['not-an-id'] }, /block_ids/],
      [{ model: MODEL, tags: 'prod' }, /tags/],
    ];
    for (const [body, detail] of cases) {
      const res = await api.post('/v1/agents', body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect(res.body.detail).toMatch(detail);
      expect(res.body.trace_id).toEqual(expect.any(String));
    }
    const bad = await api.request('POST', '/v1/agents', '{"model": ', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toEqual(expect.any(String));
    expect((await api.get('/v1/agents/count')).body).toBe(before);
  });

  it('404s unknown agents and 422s malformed ids', async () => {
    const unknown = 'agent-00000000-0000-4000-8000-00000000abcd';
    for (const res of [
      await api.get(`/v1/agents/${unknown}`),
      await api.patch(`/v1/agents/${unknown}`, { name: 'x' }),
      await api.delete(`/v1/agents/${unknown}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.detail).toContain(unknown);
    }
    const malformed = await api.get('/v1/agents/agent-123');
    expect(malformed.status).toBe(422);
    expect(malformed.body.detail).toMatch(/not a valid agent id/);
    expect((await api.get('/v1/agents/block-00000000-0000-4000-8000-000000000000')).status).toBe(422);
  });

  it('updates fields, replaces tags and changes the model', async () => {
    const a = (await api.post('/v1/agents', { model: MODEL, name: 'before', tags: ['x'] })).body;
    const res = await api.patch(`/v1/agents/${a.id}`, {
      name: 'after',
      tags: ['y', 'z'],
      system: 'new system',
      model: 'anthropic/claude-sonnet-4-5',
      context_window_limit: 8000,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'after',
      tags: ['y', 'z'],
      system: 'new system',
      model: 'anthropic/claude-sonnet-4-5',
      llm_config: expect.objectContaining({ model_endpoint_type: 'anthropic', context_window: 8000 }),
    });
    const bad = await api.patch(`/v1/agents/${a.id}`, { name: '' });
    expect(bad.status).toBe(422);
    expect((await api.get(`/v1/agents/${a.id}`)).body.name).toBe('after');
  });

  it('lists with cursors in both orders and filters by name, tags and text', async () => {
    const t2 = await newTenant(root, 'paging');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t2.post('/v1/agents', {
        model: MODEL,
        name: `pager-${i}`,
        tags: i % 2 === 0 ? ['even', 'all'] : ['odd', 'all'],
      });
      ids.push(r.body.id);
    }
    const desc = await t2.get('/v1/agents?limit=2');
    expect(desc.status).toBe(200);
    expect(desc.body.map((a: any) => a.id)).toEqual([ids[4], ids[3]]);
    const next = await t2.get(`/v1/agents?limit=2&after=${ids[3]}`);
    expect(next.body.map((a: any) => a.id)).toEqual([ids[2], ids[1]]);
    const asc = await t2.get(`/v1/agents?order=asc&limit=3&after=${ids[0]}`);
    expect(asc.body.map((a: any) => a.id)).toEqual([ids[1], ids[2], ids[3]]);
    const before = await t2.get(`/v1/agents?order=asc&before=${ids[3]}&limit=2`);
    expect(before.body.map((a: any) => a.id)).toEqual([ids[1], ids[2]]);
    // Walking every page forward sees each agent exactly once.
    const seen: string[] = [];
    let cursor = '';
    for (;;) {
      const page = await t2.get(`/v1/agents?order=asc&limit=2${cursor ? `&after=${cursor}` : ''}`);
      if (page.body.length === 0) break;
      seen.push(...page.body.map((a: any) => a.id));
      cursor = page.body[page.body.length - 1].id;
    }
    expect(seen).toEqual(ids);

    expect((await t2.get('/v1/agents?name=pager-3')).body.map((a: any) => a.id)).toEqual([ids[3]]);
    const even = await t2.get('/v1/agents?tags=even&order=asc');
    expect(even.body.map((a: any) => a.id)).toEqual([ids[0], ids[2], ids[4]]);
    const any = await t2.get('/v1/agents?tags=even&tags=odd&order=asc');
    expect(any.body).toHaveLength(5);
    const all = await t2.get('/v1/agents?tags=even&tags=odd&match_all_tags=true');
    expect(all.body).toHaveLength(0);
    const both = await t2.get('/v1/agents?tags=even&tags=all&match_all_tags=true&order=asc');
    expect(both.body.map((a: any) => a.id)).toEqual([ids[0], ids[2], ids[4]]);
    expect((await t2.get('/v1/agents?query_text=ager-1')).body.map((a: any) => a.id)).toEqual([ids[1]]);
    expect((await t2.get('/v1/agents/count')).body).toBe(5);

    expect((await t2.get('/v1/agents?limit=0')).status).toBe(422);
    expect((await t2.get('/v1/agents?order=sideways')).status).toBe(422);
    const foreignCursor = await t2.get(
      `/v1/agents?after=${(await api.post('/v1/agents', { model: MODEL })).body.id}`,
    );
    expect(foreignCursor.status).toBe(404);

    const tags = await t2.get('/v1/tags');
    expect(tags.status).toBe(200);
    expect(tags.body).toEqual(['all', 'even', 'odd']);
    expect((await t2.get('/v1/tags?after=all&limit=1')).body).toEqual(['even']);
    expect((await t2.get('/v1/tags?query_text=dd')).body).toEqual(['odd']);
  });

  it('loads only the relationships `include` or `include_relationships` name, on GET and on lists', async () => {
    const a = (
      await api.post('/v1/agents', {
        model: MODEL,
        name: 'include-probe',
        tags: ['inc'],
        memory_blocks: [{ label: 'human', value: 'Name: Ida' }],
        secrets: { TOKEN: 's3cret' },
      })
    ).body;
    const full = (await api.get(`/v1/agents/${a.id}`)).body;
    expect(full.tools.length).toBeGreaterThan(0);
    expect(full.blocks.map((b: any) => b.value)).toEqual(['Name: Ida']);
    expect(full.tags).toEqual(['inc']);
    expect(full.secrets.map((s: any) => [s.key, s.value])).toEqual([['TOKEN', 's3cret']]);

    const tagsOnly = await api.get(`/v1/agents/${a.id}?include=agent.tags`);
    expect(tagsOnly.status).toBe(200);
    expect(tagsOnly.body).toMatchObject({
      id: a.id,
      name: 'include-probe',
      tags: ['inc'],
      tools: [],
      blocks: [],
    });
    expect(tagsOnly.body.memory.blocks).toEqual([]);
    expect(tagsOnly.body.secrets).toEqual([]);

    // The deprecated list: Letta's names ('memory' is the blocks); `include` wins when both are given.
    const old = (await api.get(`/v1/agents/${a.id}?include_relationships=memory&include_relationships=tools`))
      .body;
    expect(old.blocks.map((b: any) => b.value)).toEqual(['Name: Ida']);
    expect(old.tools.map((t: any) => t.id).sort()).toEqual(full.tools.map((t: any) => t.id).sort());
    expect(old.tags).toEqual([]);
    const both = (await api.get(`/v1/agents/${a.id}?include=agent.secrets&include_relationships=tools`)).body;
    expect(both.tools).toEqual([]);
    expect(both.secrets.map((s: any) => s.key)).toEqual(['TOKEN']);

    const listed = (await api.get('/v1/agents?name=include-probe&include=agent.blocks')).body;
    expect(listed.map((x: any) => [x.id, x.blocks.length, x.tools.length, x.tags.length])).toEqual([
      [a.id, 1, 0, 0],
    ]);
    const listedFull = (await api.get('/v1/agents?name=include-probe')).body;
    expect(listedFull[0].tools.length).toBe(full.tools.length);

    for (const q of ['include=agent.nope', 'include_relationships=nope']) {
      const bad = await api.get(`/v1/agents/${a.id}?${q}`);
      expect(bad.status).toBe(422);
      expect(bad.body.detail).toMatch(q.startsWith('include=') ? /include/ : /include_relationships/);
    }
  });

  it('keeps tenants apart: another organization sees none of this one’s agents', async () => {
    const mine = (await api.post('/v1/agents', { model: MODEL, name: 'private', tags: ['secret-tag'] })).body;
    const other = await newTenant(root, 'other');
    expect((await other.get(`/v1/agents/${mine.id}`)).status).toBe(404);
    expect((await other.patch(`/v1/agents/${mine.id}`, { name: 'stolen' })).status).toBe(404);
    expect((await other.delete(`/v1/agents/${mine.id}`)).status).toBe(404);
    expect((await other.get('/v1/agents')).body).toEqual([]);
    expect((await other.get('/v1/tags')).body).toEqual([]);
    expect((await api.get(`/v1/agents/${mine.id}`)).body.name).toBe('private');
    const unknownUser = await api.request('GET', '/v1/agents', undefined, {
      user_id: 'user-00000000-0000-4000-8000-0000000000ff',
    });
    expect(unknownUser.status).toBe(401);
  });

  it('deletes an agent but leaves its shared blocks intact', async () => {
    const shared = (await api.post('/v1/blocks', { label: 'company', value: 'ACME' })).body;
    const a = (await api.post('/v1/agents', { model: MODEL, block_ids: [shared.id] })).body;
    const b = (await api.post('/v1/agents', { model: MODEL, block_ids: [shared.id] })).body;
    const del = await api.delete(`/v1/agents/${a.id}`);
    expect(del.status).toBe(200);
    expect((await api.get(`/v1/agents/${a.id}`)).status).toBe(404);
    const block = await api.get(`/v1/blocks/${shared.id}`);
    expect(block.status).toBe(200);
    expect(block.body.value).toBe('ACME');
    const holders = await api.get(`/v1/blocks/${shared.id}/agents`);
    expect(holders.body.map((x: any) => x.id)).toEqual([b.id]);
  });
});
