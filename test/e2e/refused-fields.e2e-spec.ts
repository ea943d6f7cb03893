import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';

/**
 * No silently dropped input: a field Engram cannot honour is a 422 naming it, and nothing is
 * created or changed.
 */
describe('refused request fields (e2e)', () => {
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };

  beforeAll(async () => {
    t = await startTestApp();
    api = await newTenant(new Api(t.baseUrl), 'refused');
  });
  afterAll(async () => {
    await t.close();
  });

  const count = async () => (await api.get('/v1/agents/count')).body as number;

  it.each([
    ['enable_sleeptime', { enable_sleeptime: true }],
    ['include_default_source', { include_default_source: true }],
    ['memory_variables', { memory_variables: { name: 'Sam' } }],
    ['project', { project: 'my-project' }],
    ['template', { template: true }],
    ['from_template', { from_template: 'template-1' }],
  ])('agent create refuses %s with a 422 naming it, creating nothing', async (field, extra) => {
    const before = await count();
    const res = await api.post('/v1/agents', { model: MODEL, ...extra });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain(field);
    expect(await count()).toBe(before);
  });

  it('accepts the neutral values of those fields', async () => {
    const res = await api.post('/v1/agents', {
      model: MODEL,
      enable_sleeptime: false,
      include_default_source: false,
      template: false,
      memory_variables: null,
      project: null,
      from_template: null,
    });
    expect(res.status).toBe(200);
    expect(res.body.enable_sleeptime).toBe(false);
  });

  it('agent update refuses enable_sleeptime: true, changing nothing', async () => {
    const a = (await api.post('/v1/agents', { model: MODEL, name: 'sleepless' })).body;
    const res = await api.patch(`/v1/agents/${a.id}`, { name: 'renamed', enable_sleeptime: true });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain('enable_sleeptime');
    const got = await api.get(`/v1/agents/${a.id}`);
    expect(got.body).toMatchObject({ name: 'sleepless', enable_sleeptime: false });
  });

  it.each(['letta_v1_agent', 'memgpt_v2_agent', 'memgpt_agent'])('agent_type %s is created', async (type) => {
    const res = await api.post('/v1/agents', { model: MODEL, agent_type: type });
    expect(res.status).toBe(200);
    expect(res.body.agent_type).toBe(type);
  });

  it.each(['react_agent', 'workflow_agent', 'split_thread_agent', 'sleeptime_agent', 'voice_convo_agent'])(
    'agent_type %s is a 422 naming the supported types',
    async (type) => {
      const before = await count();
      const res = await api.post('/v1/agents', { model: MODEL, agent_type: type });
      expect(res.status).toBe(422);
      expect(res.body.detail).toContain('agent_type');
      expect(res.body.detail).toContain('letta_v1_agent, memgpt_v2_agent, memgpt_agent');
      expect(await count()).toBe(before);
    },
  );

  it('identity_ids on create and update are honoured', async () => {
    const identity = await api.post('/v1/identities', {
      identifier_key: 'user-refused-1',
      name: 'Sam',
      identity_type: 'user',
    });
    expect(identity.status).toBe(200);
    const a = await api.post('/v1/agents', { model: MODEL, identity_ids: [identity.body.id] });
    expect(a.status).toBe(200);
    expect(a.body.identity_ids).toEqual([identity.body.id]);
    const cleared = await api.patch(`/v1/agents/${a.body.id}`, { identity_ids: [] });
    expect(cleared.status).toBe(200);
    expect(cleared.body.identity_ids).toEqual([]);
  });
});
