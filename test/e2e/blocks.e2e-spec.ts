import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';

describe('blocks and core memory (e2e)', () => {
  let t: TestApp;
  let root: Api;
  let api: Api & { orgId: string; userId: string };

  beforeAll(async () => {
    t = await startTestApp();
    root = new Api(t.baseUrl);
    api = await newTenant(root, 'blocks');
  });
  afterAll(() => t.close());

  it('creates, reads, updates and deletes a block', async () => {
    const created = await api.post('/v1/blocks/', {
      label: 'notes',
      value: 'first',
      limit: 100,
      description: 'scratch',
      tags: ['a'],
      metadata: { k: 1 },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      label: 'notes',
      value: 'first',
      limit: 100,
      description: 'scratch',
      tags: ['a'],
      metadata: { k: 1 },
      read_only: false,
      is_template: false,
    });
    expect(created.body.id).toMatch(/^block-/);
    const id = created.body.id;
    const patched = await api.patch(`/v1/blocks/${id}`, { value: 'second', description: 'changed' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ value: 'second', description: 'changed', limit: 100 });
    expect((await api.get(`/v1/blocks/${id}`)).body.value).toBe('second');
    expect((await api.delete(`/v1/blocks/${id}`)).status).toBe(200);
    expect((await api.get(`/v1/blocks/${id}`)).status).toBe(404);
    expect((await api.delete(`/v1/blocks/${id}`)).status).toBe(404);
  });

  it('refuses values over the limit, on create and update, and changes nothing', async () => {
    const over = await api.post('/v1/blocks', { label: 'x', value: 'abcdef', limit: 5 });
    expect(over.status).toBe(422);
    expect(over.body.detail).toMatch(/6 characters, over the block's limit of 5/);

    const b = (await api.post('/v1/blocks', { label: 'y', value: 'abc', limit: 5 })).body;
    const tooLong = await api.patch(`/v1/blocks/${b.id}`, { value: 'abcdefgh' });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.detail).toMatch(/limit of 5/);
    const shrink = await api.patch(`/v1/blocks/${b.id}`, { limit: 2 });
    expect(shrink.status).toBe(422);
    expect((await api.get(`/v1/blocks/${b.id}`)).body).toMatchObject({ value: 'abc', limit: 5 });
    // Characters, not UTF-16 units: five emoji fit a limit of five.
    const emoji = await api.post('/v1/blocks', { label: 'e', value: '😀😀😀😀😀', limit: 5 });
    expect(emoji.status).toBe(200);

    expect((await api.post('/v1/blocks', { value: 'no label' })).status).toBe(422);
    expect((await api.post('/v1/blocks', { label: 'l', value: 'v', unknown: true })).body.detail).toMatch(
      /unknown/,
    );
    expect((await api.post('/v1/blocks', { label: 'l', value: 'v', limit: -1 })).status).toBe(422);
    expect((await api.get('/v1/blocks/block-1')).status).toBe(422);
  });

  it('lists with filters and cursors', async () => {
    const t2 = await newTenant(root, 'block-list');
    const ids: string[] = [];
    for (const [label, tags] of [
      ['human', ['p']],
      ['persona', ['p', 'q']],
      ['human', ['q']],
    ] as const) {
      ids.push((await t2.post('/v1/blocks', { label, value: `${label} value`, tags })).body.id);
    }
    expect((await t2.get('/v1/blocks?order=asc')).body.map((b: any) => b.id)).toEqual(ids);
    expect((await t2.get('/v1/blocks?label=human&order=asc')).body.map((b: any) => b.id)).toEqual([
      ids[0],
      ids[2],
    ]);
    expect((await t2.get('/v1/blocks?tags=q&order=asc')).body.map((b: any) => b.id)).toEqual([
      ids[1],
      ids[2],
    ]);
    expect((await t2.get('/v1/blocks?tags=p&tags=q&match_all_tags=true')).body.map((b: any) => b.id)).toEqual(
      [ids[1]],
    );
    expect((await t2.get(`/v1/blocks?limit=1&after=${ids[2]}`)).body.map((b: any) => b.id)).toEqual([ids[1]]);
    expect((await t2.get('/v1/blocks?value_search=persona')).body.map((b: any) => b.id)).toEqual([ids[1]]);
  });

  it('shares one block between two agents: an edit through one is seen by the other', async () => {
    const shared = (await api.post('/v1/blocks', { label: 'team', value: 'Team: blue', limit: 50 })).body;
    const a = (await api.post('/v1/agents', { model: MODEL, block_ids: [shared.id] })).body;
    const b = (
      await api.post('/v1/agents', { model: MODEL, memory_blocks: [{ label: 'human', value: 'Bo' }] })
    ).body;
    const attach = await api.patch(`/v1/agents/${b.id}/core-memory/blocks/attach/${shared.id}`);
    expect(attach.status).toBe(200);
    expect(attach.body.blocks.map((x: any) => x.label)).toEqual(['human', 'team']);

    const edit = await api.patch(`/v1/agents/${a.id}/core-memory/blocks/team`, { value: 'Team: green' });
    expect(edit.status).toBe(200);
    expect(edit.body.id).toBe(shared.id);
    const seen = await api.get(`/v1/agents/${b.id}/core-memory/blocks/team`);
    expect(seen.status).toBe(200);
    expect(seen.body.value).toBe('Team: green');
    const list = await api.get(`/v1/agents/${b.id}/core-memory/blocks`);
    expect(list.body.map((x: any) => x.value)).toEqual(['Bo', 'Team: green']);
    const holders = await api.get(`/v1/blocks/${shared.id}/agents`);
    expect(holders.body.map((x: any) => x.id).sort()).toEqual([a.id, b.id].sort());

    const over = await api.patch(`/v1/agents/${b.id}/core-memory/blocks/team`, { value: 'x'.repeat(51) });
    expect(over.status).toBe(422);
    expect(over.body.detail).toMatch(/limit of 50/);
    expect((await api.get(`/v1/blocks/${shared.id}`)).body.value).toBe('Team: green');

    const detach = await api.patch(`/v1/agents/${b.id}/core-memory/blocks/detach/${shared.id}`);
    expect(detach.status).toBe(200);
    expect(detach.body.blocks.map((x: any) => x.label)).toEqual(['human']);
    expect((await api.get(`/v1/agents/${b.id}/core-memory/blocks/team`)).status).toBe(404);
    expect((await api.get(`/v1/blocks/${shared.id}`)).status).toBe(200);
  });

  it('refuses a second block with the same label on one agent', async () => {
    const a = (
      await api.post('/v1/agents', { model: MODEL, memory_blocks: [{ label: 'human', value: 'A' }] })
    ).body;
    const dup = (await api.post('/v1/blocks', { label: 'human', value: 'B' })).body;
    const res = await api.patch(`/v1/agents/${a.id}/core-memory/blocks/attach/${dup.id}`);
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/already has a block labelled 'human'/);
  });

  it('404s unknown agents, labels and blocks, and other tenants’ blocks', async () => {
    const unknownAgent = 'agent-00000000-0000-4000-8000-000000000001';
    expect((await api.get(`/v1/agents/${unknownAgent}/core-memory/blocks`)).status).toBe(404);
    const a = (await api.post('/v1/agents', { model: MODEL })).body;
    expect((await api.get(`/v1/agents/${a.id}/core-memory/blocks/nope`)).status).toBe(404);
    expect(
      (
        await api.patch(
          `/v1/agents/${a.id}/core-memory/blocks/attach/block-00000000-0000-4000-8000-000000000001`,
        )
      ).status,
    ).toBe(404);

    const mine = (await api.post('/v1/blocks', { label: 'secret', value: 'mine' })).body;
    const other = await newTenant(root, 'thief');
    expect((await other.get(`/v1/blocks/${mine.id}`)).status).toBe(404);
    expect((await other.patch(`/v1/blocks/${mine.id}`, { value: 'stolen' })).status).toBe(404);
    expect((await other.delete(`/v1/blocks/${mine.id}`)).status).toBe(404);
    expect((await other.get('/v1/blocks')).body).toEqual([]);
    const theirs = (await other.post('/v1/agents', { model: MODEL })).body;
    expect((await other.patch(`/v1/agents/${theirs.id}/core-memory/blocks/attach/${mine.id}`)).status).toBe(
      404,
    );
    expect((await other.post('/v1/agents', { model: MODEL, block_ids: [mine.id] })).status).toBe(404);
    expect((await api.get(`/v1/blocks/${mine.id}`)).body.value).toBe('mine');
  });
});
