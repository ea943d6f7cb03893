import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

/**
 * Two API instances on one Postgres and one Redis, as in Kubernetes: sends to the same agent
 * through both must still run one at a time. Needs real Postgres and Redis (the embedded
 * database belongs to one process), so it runs in the DATABASE_URL + REDIS_URL pass.
 */
(shared ? describe : describe.skip)('two API processes share the per-agent lock (e2e)', () => {
  let fake: FakeOpenAiServer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseUrl };
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await fake.close();
  });

  it('never interleaves two runs of one agent across instances', async () => {
    const apiA = await newTenant(new Api(a.baseUrl), 'multi');
    const apiB = new Api(b.baseUrl, { user_id: apiA.userId });
    const agent = (await apiA.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body;
    let inFlight = 0;
    let maxInFlight = 0;
    fake.defaultReply = (req: any) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => inFlight--, 30);
      return { content: `echo ${JSON.stringify(req.body.messages.at(-1).content)}`, delayMs: 30 };
    };
    const sends = Array.from({ length: 12 }, (_, i) =>
      (i % 2 ? apiB : apiA).post(`/v1/agents/${agent.id}/messages`, { input: `m${i}` }),
    );
    const results = await Promise.all(sends);
    for (const r of results) expect(r.status).toBe(200);
    expect(maxInFlight).toBe(1);
    const history = (await apiA.get(`/v1/agents/${agent.id}/messages?order=asc&limit=100`)).body.filter(
      (m: any) => m.message_type !== 'system_message',
    );
    expect(history).toHaveLength(24);
    for (let i = 0; i < 24; i += 2) {
      expect(history[i].message_type).toBe('user_message');
      expect(history[i + 1].content).toContain(history[i].content);
    }
  });
});
