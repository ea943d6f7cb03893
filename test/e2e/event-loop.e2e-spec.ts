import { monitorEventLoopDelay } from 'node:perf_hooks';
import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

/** The requirement: while one request does heavy work, GET /v1/health answers within this. */
const HEALTH_BUDGET_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timedHealth(api: Api): Promise<number> {
  const t0 = performance.now();
  const res = await api.get('/v1/health');
  if (res.status !== 200) throw new Error(`health answered ${res.status}`);
  return performance.now() - t0;
}

/**
 * One request must never stall the server. Big unbroken messages (the input that made token
 * counting quadratic: 12,000 `x` took 25 s and held every other request) are sent while
 * GET /v1/health is timed every 20 ms.
 *
 * On a loaded 2-core CI machine even an idle server answers late now and then, for reasons
 * that are not ours (the process is not scheduled). So the test first measures that noise
 * floor — the slowest of 40 idle health checks — and allows it on top of the 100 ms budget,
 * and takes the best of up to three attempts: a server that blocks its event loop for 100 ms
 * or more fails every attempt, whatever the load.
 */
describe('no request holds the event loop (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAiServer;
  let api: Api;
  let agentId: string;
  let noiseMs = 0;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    fake.defaultReply = { content: 'noted' };
    fake.record = false;
    t = await startTestApp({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseUrl });
    api = await newTenant(new Api(t.baseUrl), 'loop');
    agentId = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body.id;
    // Warm up the route and the runner, then measure the idle noise floor.
    await api.post(`/v1/agents/${agentId}/messages`, { input: 'warm up' });
    const idle: number[] = [];
    for (let i = 0; i < 40; i++) {
      idle.push(await timedHealth(api));
      await sleep(10);
    }
    noiseMs = Math.max(...idle);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  /** Sends one message of `size` characters while timing health every 20 ms; the slowest answer. */
  async function worstHealthDuring(size: number) {
    const loop = monitorEventLoopDelay({ resolution: 10 });
    const latencies: number[] = [];
    let done = false;
    loop.enable();
    const send = api
      .post(`/v1/agents/${agentId}/messages`, { input: 'x'.repeat(size) })
      .finally(() => (done = true));
    while (!done) {
      latencies.push(await timedHealth(api));
      await sleep(20);
    }
    loop.disable();
    const res = await send;
    expect(res.status).toBe(200);
    expect(res.body.stop_reason.stop_reason).toBe('end_turn');
    expect(latencies.length).toBeGreaterThan(0);
    const worst = Math.max(...latencies);
    if (process.env.ENGRAM_PRINT_LATENCY)
      console.info(
        `${size} chars: ${latencies.length} health checks, worst ${worst.toFixed(1)} ms, ` +
          `idle worst ${noiseMs.toFixed(1)} ms, event-loop delay max ${(loop.max / 1e6).toFixed(1)} ms`,
      );
    return worst;
  }

  // A server that blocks its loop is slow on every attempt; a process that the loaded machine
  // did not schedule for a moment is slow on one. So the best of three attempts must be in budget.
  it.each([
    ['12,000 x', 12_000],
    ['1 MB of x', 1024 * 1024],
  ])('health answers within %s while a message of %s is processed', async (_label, size) => {
    const attempts: number[] = [];
    while (attempts.length < 3) {
      attempts.push(await worstHealthDuring(size));
      if (Math.min(...attempts) < HEALTH_BUDGET_MS + noiseMs) break;
    }
    expect(Math.min(...attempts)).toBeLessThan(HEALTH_BUDGET_MS + noiseMs);
  });

  it('refuses a send over 2,000,000 characters with a 422 naming the limit', async () => {
    const res = await api.post(`/v1/agents/${agentId}/messages`, {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'y'.repeat(2_000_001) }] }],
    });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(
      /^messages: 20000\d\d characters of text, over the limit of 2000000 per request$/,
    );
  });
});
