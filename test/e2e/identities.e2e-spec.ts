import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';

describe('identities (e2e)', () => {
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  let other: Api & { orgId: string; userId: string };

  beforeAll(async () => {
    t = await startTestApp();
    const root = new Api(t.baseUrl);
    api = await newTenant(root, 'identities');
    other = await newTenant(root, 'identities-other');
  });
  afterAll(() => t.close());

  const agent = async (a: Api, body: Record<string, unknown> = {}) => {
    const res = await a.post('/v1/agents', { model: MODEL, ...body });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('creates, reads, lists, counts and deletes identities', async () => {
    const created = await api.post('/v1/identities', {
      identifier_key: 'user-42',
      name: 'Sam Doe',
      identity_type: 'user',
      properties: [
        { key: 'plan', value: 'pro', type: 'string' },
        { key: 'seats', value: 3, type: 'number' },
        { key: 'prefs', value: { theme: 'dark' }, type: 'json' },
      ],
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^identity-[0-9a-f-]{36}$/),
      identifier_key: 'user-42',
      name: 'Sam Doe',
      identity_type: 'user',
      project_id: null,
      agent_ids: [],
      block_ids: [],
      organization_id: api.orgId,
      properties: [
        { key: 'plan', value: 'pro', type: 'string' },
        { key: 'seats', value: 3, type: 'number' },
        { key: 'prefs', value: { theme: 'dark' }, type: 'json' },
      ],
    });
    const id = created.body.id;
    expect((await api.get(`/v1/identities/${id}`)).body).toEqual(created.body);

    const org = (
      await api.post('/v1/identities', { identifier_key: 'acme', name: 'Acme Corp', identity_type: 'org' })
    ).body;
    expect((await api.get('/v1/identities/count')).body).toBe(2);
    const ids = (q: string) =>
      api.get(`/v1/identities${q}`).then((r) => r.body.map((i: { id: string }) => i.id));
    expect(await ids('')).toEqual([org.id, id]); // newest first, as Letta lists
    expect(await ids('?order=asc')).toEqual([id, org.id]);
    expect(await ids('?order=asc&limit=1')).toEqual([id]);
    expect(await ids(`?order=asc&after=${id}`)).toEqual([org.id]);
    expect(await ids('?name=sam')).toEqual([id]);
    expect(await ids('?identifier_key=acme')).toEqual([org.id]);
    expect(await ids('?identity_type=user')).toEqual([id]);
    expect((await api.get('/v1/identities?identity_type=robot')).status).toBe(422);

    expect((await api.delete(`/v1/identities/${org.id}`)).status).toBe(200);
    expect((await api.get(`/v1/identities/${org.id}`)).status).toBe(404);
    expect((await api.delete(`/v1/identities/${org.id}`)).status).toBe(404);
    expect((await api.get('/v1/identities/count')).body).toBe(1);
    await api.delete(`/v1/identities/${id}`);
  });

  it('refuses bad input with a 422 (or 409, 404) that names it, and writes nothing', async () => {
    const base = { identifier_key: 'k-bad', name: 'n', identity_type: 'user' };
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ ...base, identity_type: 'robot' }, 422, /identity_type/],
      [{ ...base, identifier_key: '' }, 422, /identifier_key/],
      [{ ...base, surprise: 1 }, 422, /surprise/],
      [
        { ...base, properties: [{ key: 'n', value: 'three', type: 'number' }] },
        422,
        /properties\[0\]\.value/,
      ],
      [{ ...base, properties: [{ key: 'n', value: 1, type: 'float' }] }, 422, /type/],
      [{ ...base, properties: [{ key: 'j', value: [1], type: 'json' }] }, 422, /properties\[0\]\.value/],
      [
        {
          ...base,
          properties: [
            { key: 'a', value: 'x', type: 'string' },
            { key: 'a', value: 'y', type: 'string' },
          ],
        },
        422,
        /'a' appears twice/,
      ],
      [{ ...base, agent_ids: ['agent-nope'] }, 422, /agent_ids/],
      [{ ...base, agent_ids: ['agent-00000000-0000-4000-8000-000000000000'] }, 404, /Agent/],
      [{ ...base, block_ids: ['block-00000000-0000-4000-8000-000000000000'] }, 404, /Block/],
    ];
    for (const [body, status, detail] of cases) {
      const res = await api.post('/v1/identities', body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.detail).toMatch(detail);
    }
    expect((await api.get('/v1/identities?identifier_key=k-bad')).body).toEqual([]);

    const first = await api.post('/v1/identities', base);
    expect(first.status).toBe(200);
    const dup = await api.post('/v1/identities', { ...base, name: 'again' });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toContain("identifier_key 'k-bad'");
    // The key is unique per project: another project may reuse it.
    const inProject = await api.post('/v1/identities', { ...base, project_id: 'proj-1' });
    expect(inProject.status).toBe(200);
    expect((await api.get('/v1/identities/identity-nope')).status).toBe(422);
    for (const id of [first.body.id, inProject.body.id]) await api.delete(`/v1/identities/${id}`);
  });

  it('PATCH merges properties and adds links; PUT .../properties replaces them; PUT upserts by key', async () => {
    const a1 = await agent(api);
    const a2 = await agent(api);
    const block = (await api.post('/v1/blocks', { label: 'profile', value: 'likes tea' })).body;
    const created = (
      await api.post('/v1/identities', {
        identifier_key: 'merge-me',
        name: 'Merge',
        identity_type: 'other',
        agent_ids: [a1.id],
        properties: [
          { key: 'a', value: 'one', type: 'string' },
          { key: 'b', value: true, type: 'boolean' },
        ],
      })
    ).body;
    expect(created.agent_ids).toEqual([a1.id]);

    const patched = await api.patch(`/v1/identities/${created.id}`, {
      name: 'Merged',
      agent_ids: [a2.id],
      block_ids: [block.id],
      properties: [
        { key: 'b', value: false, type: 'boolean' },
        { key: 'c', value: 2, type: 'number' },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Merged', identifier_key: 'merge-me', block_ids: [block.id] });
    expect([...patched.body.agent_ids].sort()).toEqual([a1.id, a2.id].sort());
    expect(patched.body.properties).toEqual([
      { key: 'a', value: 'one', type: 'string' },
      { key: 'b', value: false, type: 'boolean' },
      { key: 'c', value: 2, type: 'number' },
    ]);
    expect((await api.patch(`/v1/identities/${created.id}`, { project_id: 'p' })).status).toBe(422);

    const replaced = await api.put(`/v1/identities/${created.id}/properties`, [
      { key: 'only', value: 'this', type: 'string' },
    ]);
    expect(replaced.status).toBe(200);
    expect(replaced.body.properties).toEqual([{ key: 'only', value: 'this', type: 'string' }]);
    const badProps = await api.put(`/v1/identities/${created.id}/properties`, [
      { key: 'ok', value: 'x', type: 'string' },
      { key: 'bad', value: 'x' },
    ]);
    expect(badProps.status).toBe(422);
    expect(badProps.body.detail).toMatch(/\[1\]\.type/);
    expect((await api.put(`/v1/identities/${created.id}/properties`, { key: 'x' })).status).toBe(422);
    expect((await api.get(`/v1/identities/${created.id}`)).body.properties).toEqual([
      { key: 'only', value: 'this', type: 'string' },
    ]);

    // Upsert: the same key replaces name, type, properties and the links given...
    const upserted = await api.put('/v1/identities', {
      identifier_key: 'merge-me',
      name: 'Upserted',
      identity_type: 'user',
      agent_ids: [a2.id],
      properties: [],
    });
    expect(upserted.status).toBe(200);
    expect(upserted.body).toMatchObject({
      id: created.id,
      name: 'Upserted',
      identity_type: 'user',
      agent_ids: [a2.id],
      block_ids: [block.id],
      properties: [],
    });
    // ...and a new key creates one.
    const fresh = await api.put('/v1/identities', {
      identifier_key: 'new-key',
      name: 'N',
      identity_type: 'org',
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body.id).not.toBe(created.id);

    // The identity's agents and blocks, paged.
    const agentsOf = await api.get(`/v1/identities/${created.id}/agents`);
    expect(agentsOf.status).toBe(200);
    expect(agentsOf.body.map((s: { id: string }) => s.id)).toEqual([a2.id]);
    const blocksOf = await api.get(`/v1/identities/${created.id}/blocks`);
    expect(blocksOf.body.map((b: { id: string }) => b.id)).toEqual([block.id]);
    expect((await api.get(`/v1/blocks?identity_id=${created.id}`)).body.map((b: any) => b.id)).toEqual([
      block.id,
    ]);
    expect((await api.get('/v1/blocks?identifier_keys=merge-me')).body.map((b: any) => b.id)).toEqual([
      block.id,
    ]);
    expect((await api.get(`/v1/blocks?identity_id=${fresh.body.id}`)).body).toEqual([]);
    for (const id of [created.id, fresh.body.id]) await api.delete(`/v1/identities/${id}`);
  });

  it('fills the agent’s identities, honours identity_ids, filters agents, attaches and detaches', async () => {
    const sam = (
      await api.post('/v1/identities', { identifier_key: 'sam', name: 'Sam', identity_type: 'user' })
    ).body;
    const kim = (
      await api.post('/v1/identities', { identifier_key: 'kim', name: 'Kim', identity_type: 'user' })
    ).body;
    const a = await agent(api, { identity_ids: [sam.id] });
    expect(a.identity_ids).toEqual([sam.id]);
    expect(a.identities).toEqual([
      expect.objectContaining({
        id: sam.id,
        identifier_key: 'sam',
        name: 'Sam',
        agent_ids: [a.id],
        block_ids: [],
      }),
    ]);
    const plain = await agent(api);
    expect(plain.identities).toEqual([]);

    const listed = (q: string) =>
      api.get(`/v1/agents${q}`).then((r) => r.body.map((x: { id: string }) => x.id));
    expect(await listed(`?identity_id=${sam.id}`)).toEqual([a.id]);
    expect(await listed('?identifier_keys=sam&identifier_keys=nobody')).toEqual([a.id]);
    expect(await listed(`?identity_id=${kim.id}`)).toEqual([]);

    // An unknown identity on create or update is a 404, and nothing changes.
    const before = (await api.get('/v1/agents/count')).body;
    const bad = await api.post('/v1/agents', {
      model: MODEL,
      identity_ids: ['identity-00000000-0000-4000-8000-000000000000'],
    });
    expect(bad.status).toBe(404);
    expect((await api.get('/v1/agents/count')).body).toBe(before);
    expect((await api.post('/v1/agents', { model: MODEL, identity_ids: ['nope'] })).status).toBe(422);
    const badPatch = await api.patch(`/v1/agents/${a.id}`, {
      description: 'changed',
      identity_ids: ['identity-00000000-0000-4000-8000-000000000000'],
    });
    expect(badPatch.status).toBe(404);
    const unchanged = (await api.get(`/v1/agents/${a.id}`)).body;
    expect(unchanged.description).toBeNull();
    expect(unchanged.identity_ids).toEqual([sam.id]);

    const patched = await api.patch(`/v1/agents/${a.id}`, { identity_ids: [kim.id] });
    expect(patched.status).toBe(200);
    expect(patched.body.identity_ids).toEqual([kim.id]);

    const attach = await api.patch(`/v1/agents/${plain.id}/identities/attach/${sam.id}`);
    expect(attach.status).toBe(200);
    expect(attach.body).toBeNull();
    // Attaching twice is a no-op, as in Letta.
    expect((await api.patch(`/v1/agents/${plain.id}/identities/attach/${sam.id}`)).status).toBe(200);
    expect((await api.get(`/v1/agents/${plain.id}`)).body.identity_ids).toEqual([sam.id]);
    expect((await api.get(`/v1/identities/${sam.id}`)).body.agent_ids).toEqual([plain.id]);
    expect((await api.patch(`/v1/agents/${plain.id}/identities/detach/${sam.id}`)).status).toBe(200);
    expect((await api.get(`/v1/agents/${plain.id}`)).body.identities).toEqual([]);

    // Deleting an identity unlinks it; deleting an agent drops it from the identity.
    await api.delete(`/v1/identities/${kim.id}`);
    expect((await api.get(`/v1/agents/${a.id}`)).body.identities).toEqual([]);
    await api.patch(`/v1/agents/${a.id}/identities/attach/${sam.id}`);
    await api.delete(`/v1/agents/${a.id}`);
    expect((await api.get(`/v1/identities/${sam.id}`)).body.agent_ids).toEqual([]);
    await api.delete(`/v1/identities/${sam.id}`);
  });

  it('answers 404 to another organization’s identities and agents, and lists none of them', async () => {
    const mine = (
      await api.post('/v1/identities', { identifier_key: 'private', name: 'P', identity_type: 'user' })
    ).body;
    const myAgent = await agent(api, { identity_ids: [mine.id] });
    const theirAgent = await agent(other);
    const theirs = (
      await other.post('/v1/identities', { identifier_key: 'private', name: 'Theirs', identity_type: 'user' })
    ).body;
    expect(theirs.id).not.toBe(mine.id); // the same key in another organization is another identity

    expect((await other.get(`/v1/identities/${mine.id}`)).status).toBe(404);
    expect((await other.patch(`/v1/identities/${mine.id}`, { name: 'x' })).status).toBe(404);
    expect((await other.put(`/v1/identities/${mine.id}/properties`, [])).status).toBe(404);
    expect((await other.get(`/v1/identities/${mine.id}/agents`)).status).toBe(404);
    expect((await other.get(`/v1/identities/${mine.id}/blocks`)).status).toBe(404);
    expect((await other.delete(`/v1/identities/${mine.id}`)).status).toBe(404);
    expect((await other.patch(`/v1/agents/${theirAgent.id}/identities/attach/${mine.id}`)).status).toBe(404);
    expect((await other.patch(`/v1/agents/${myAgent.id}/identities/attach/${theirs.id}`)).status).toBe(404);
    expect((await other.patch(`/v1/agents/${myAgent.id}/identities/detach/${mine.id}`)).status).toBe(404);
    expect(
      (
        await other.post('/v1/identities', {
          identifier_key: 'x',
          name: 'x',
          identity_type: 'user',
          agent_ids: [myAgent.id],
        })
      ).status,
    ).toBe(404);
    expect((await other.post('/v1/agents', { model: MODEL, identity_ids: [mine.id] })).status).toBe(404);
    expect((await other.get(`/v1/agents?identity_id=${mine.id}`)).body).toEqual([]);
    expect((await other.get('/v1/identities')).body.map((i: { id: string }) => i.id)).toEqual([theirs.id]);
    // Upserting the same key finds their own identity, never ours.
    const up = await other.put('/v1/identities', {
      identifier_key: 'private',
      name: 'Mine now',
      identity_type: 'org',
    });
    expect(up.body.id).toBe(theirs.id);

    expect((await api.get(`/v1/identities/${mine.id}`)).body).toMatchObject({
      name: 'P',
      agent_ids: [myAgent.id],
    });
  });
});
