import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { responseValidator } from '../support/contract';

/** The contract check itself: it validates real responses, and it catches a drifted shape. */
describe('response contract (e2e)', () => {
  let t: TestApp;
  let api: Api;

  beforeAll(async () => {
    t = await startTestApp();
    api = await newTenant(new Api(t.baseUrl), 'contract');
  });
  afterAll(async () => {
    await t.close();
  });

  it('checks each documented JSON response the app sends', async () => {
    const before = t.contract.checked;
    const agent = await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' });
    expect(agent.status).toBe(200);
    expect((await api.get(`/v1/agents/${agent.body.id}`)).status).toBe(200);
    expect((await api.get('/v1/blocks')).status).toBe(200);
    expect(t.contract.checked - before).toBe(3);
    expect(t.contract.violations).toEqual([]);
  });

  it('refuses a response that drifted from its schema', async () => {
    const agent = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body;
    const validate = responseValidator('/v1/agents/:agent_id', 'GET', 200)!;
    expect(validate).not.toBeNull();
    expect(validate(agent)).toBe(true);
    expect(validate({ ...agent, id: 7 })).toBe(false);
    const { memory: _memory, ...withoutMemory } = agent;
    expect(validate(withoutMemory)).toBe(false);
    expect(
      validate({ ...agent, embedding_config: { ...agent.embedding_config }, blocks: [{ id: 'x' }] }),
    ).toBe(false);
    const summarize = responseValidator('/v1/agents/:agent_id/summarize', 'POST', 200)!;
    expect(summarize({ summary: '', num_messages_before: 1, num_messages_after: 1 })).toBe(true);
    // The shape it had before issue 13.
    expect(summarize({ summarized: false, messages_before: 1, messages_after: 1 })).toBe(false);
  });
});
