import { closeGracefully } from '../../src/common/graceful-shutdown';
import { RunSource, RunSources } from '../../src/streaming/run-source';
import { WsGateway } from '../../src/streaming/ws/ws.gateway';
import { startTestApp, TestApp } from '../support/app';
import { ADMIN_KEY, bearer, tenantWithKeys, TenantWithKeys } from '../support/auth';
import { FakeOpenAiServer } from '../support/fake-openai';
import { sampleValue } from '../support/prometheus';
import { UpgradeRefused, WsClient } from '../support/ws-client';

const MODEL = 'openai/gpt-4o-mini';
const MAX_BUFFERED = 64 * 1024;
const HEARTBEAT_MS = 500;
const mode = process.env.REDIS_URL ? 'Redis bus' : 'in-process bus';

async function until(ok: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe(`WebSocket gateway /ws (e2e, ${mode})`, () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let a: TenantWithKeys;
  let b: TenantWithKeys;
  let wsUrl: string;
  const open: WsClient[] = [];

  /** A client with `credential` in the Authorization header (closed after each test). */
  async function connect(credential: string, opts: { query?: boolean; autoPong?: boolean } = {}) {
    const pong = opts.autoPong === false ? { autoPong: false } : {};
    const c = opts.query
      ? await WsClient.connect(`${wsUrl}?token=${encodeURIComponent(credential)}`, pong)
      : await WsClient.connect(wsUrl, { headers: { authorization: `Bearer ${credential}` }, ...pong });
    open.push(c);
    return c;
  }

  async function newAgent(as: TenantWithKeys): Promise<string> {
    const res = await as.as.member.post('/v1/agents', { model: MODEL });
    expect(res.status).toBe(200);
    return res.body.id;
  }

  async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
    const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
    return sampleValue(text, name, labels);
  }

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    t = await startTestApp({
      OPENAI_API_KEY: 'k',
      OPENAI_BASE_URL: fake.baseUrl,
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      ENGRAM_WS_MAX_CONNECTIONS_PER_KEY: '3',
      ENGRAM_WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
      ENGRAM_WS_HEARTBEAT_MS: String(HEARTBEAT_MS),
      ENGRAM_SECRETS_KEY: 'websocket-test-secrets-key-0123456789',
    });
    wsUrl = `${t.baseUrl}/ws`;
    const admin = bearer(t.baseUrl, ADMIN_KEY);
    [a, b] = await Promise.all([tenantWithKeys(admin, 'ws-a'), tenantWithKeys(admin, 'ws-b')]);
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await until(() => t.app.get(WsGateway).connections === 0);
  });
  let shutDown = false;
  afterAll(async () => {
    if (shutDown) t.contract.assert();
    else await t.close();
    await fake.close();
  });

  it('answers a user_message with agent_response events carrying the Letta fields, the stop reason and usage', async () => {
    const agentId = await newAgent(a);
    fake.enqueue({ content: 'Hello over the socket', usage: { promptTokens: 40, completionTokens: 5 } });
    const c = await connect(a.keys.member.key);
    expect(await metric('engram_active_stream_connections', { transport: 'websocket' })).toBe(1);
    c.send({ type: 'user_message', message: 'hi there', agent_id: agentId });
    const end = await c.next((e) => e.type === 'agent_response_end');
    const [start, ...rest] = c.events;
    expect(start).toEqual({ type: 'agent_response_start', run_id: expect.stringMatching(/^run-/) });
    const runId = start.run_id as string;
    const responses = rest.filter((e) => e.type === 'agent_response');
    expect(responses.map((e) => e.message_type)).toEqual([
      'assistant_message',
      'stop_reason',
      'usage_statistics',
    ]);
    expect(responses[0]).toMatchObject({
      type: 'agent_response',
      message_type: 'assistant_message',
      message: 'Hello over the socket',
      content: 'Hello over the socket',
      id: expect.stringMatching(/^message-/),
      date: expect.any(String),
      run_id: runId,
      seq_id: 1,
    });
    expect(responses[1]).toMatchObject({
      message: 'end_turn',
      stop_reason: 'end_turn',
      seq_id: 2,
      run_id: runId,
    });
    expect(responses[2]).toMatchObject({ prompt_tokens: 40, completion_tokens: 5, seq_id: 3 });
    expect(end).toEqual({ type: 'agent_response_end', run_id: runId, stop_reason: 'end_turn' });
    // The same run over REST: committed, and the message is the agent's.
    const run = await a.as.member.get(`/v1/runs/${runId}`);
    expect(run.body).toMatchObject({ status: 'completed', agent_id: agentId });
    const msgs = await a.as.member.get(`/v1/runs/${runId}/messages`);
    expect(msgs.body.map((m: any) => m.message_type)).toEqual(['user_message', 'assistant_message']);
    expect(msgs.body[1].id).toBe(responses[0].id);
    c.close();
    await c.whenClosed();
    await until(
      async () => (await metric('engram_active_stream_connections', { transport: 'websocket' })) === 0,
    );
  });

  it('follows a run started over REST (subscribe run_id, with starting_after) and new runs of an agent (subscribe agent_id)', async () => {
    const agentId = await newAgent(a);
    const c = await connect(a.keys.member.key, { query: true });
    c.send({ type: 'subscribe', agent_id: agentId });
    expect(await c.next((e) => e.type === 'subscribed')).toEqual({
      type: 'subscribed',
      agent_id: agentId,
      active_run_ids: [],
    });
    fake.enqueue({ content: 'one two three four five six', chunkDelayMs: 10 });
    const sent = await a.as.member.post(`/v1/agents/${agentId}/messages/async`, { input: 'go' });
    expect(sent.status).toBe(200);
    const runId = sent.body.id as string;
    const end = await c.next((e) => e.type === 'agent_response_end' && e.run_id === runId);
    expect(end.stop_reason).toBe('end_turn');
    const ofRun = c.events.filter((e) => e.run_id === runId && e.type === 'agent_response');
    expect(ofRun.map((e) => e.seq_id)).toEqual(ofRun.map((_, i) => i + 1));
    expect(ofRun[0]).toMatchObject({
      message_type: 'assistant_message',
      message: 'one two three four five six',
    });

    // The finished run, resumed after its first event on a second socket.
    const d = await connect(a.keys.read_only.key);
    d.send({ type: 'subscribe', run_id: runId, starting_after: 1 });
    await d.next((e) => e.type === 'agent_response_end');
    expect(d.events[0]).toEqual({ type: 'subscribed', run_id: runId });
    expect(d.events.filter((e) => e.type === 'agent_response').map((e) => e.seq_id)).toEqual(
      ofRun.slice(1).map((e) => e.seq_id),
    );
    // An unsubscribed agent's new runs are not followed.
    c.send({ type: 'unsubscribe', agent_id: agentId });
    await c.next((e) => e.type === 'unsubscribed');
    const seen = c.events.length;
    fake.enqueue({ content: 'unseen' });
    const again = await a.as.member.post(`/v1/agents/${agentId}/messages`, { input: 'again' });
    expect(again.status).toBe(200);
    expect(c.events.length).toBe(seen);
  });

  it('refuses connections without credentials, with unknown ones, and on other paths', async () => {
    await expect(WsClient.connect(wsUrl)).rejects.toMatchObject({
      status: 401,
      body: { detail: expect.stringMatching(/Missing credentials/) },
    });
    await expect(WsClient.connect(`${wsUrl}?token=sk-engram-nope`)).rejects.toMatchObject({ status: 401 });
    await expect(WsClient.connect(wsUrl, { headers: { authorization: 'Basic abc' } })).rejects.toMatchObject({
      status: 401,
      body: { detail: expect.stringMatching(/Malformed/) },
    });
    const refused = await WsClient.connect(`${t.baseUrl}/v1/agents`, {
      headers: { authorization: `Bearer ${a.keys.member.key}` },
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect((refused as UpgradeRefused).status).toBe(404);
  });

  it("answers an error event, not data, for another tenant's agent or run and for a read_only sender", async () => {
    const agentId = await newAgent(a);
    fake.enqueue({ content: 'mine' });
    const sent = await a.as.member.post(`/v1/agents/${agentId}/messages`, { input: 'x' });
    const runId = sent.body.usage.run_ids[0] as string;
    const c = await connect(b.keys.member.key);
    c.send({ type: 'user_message', message: 'hi', agent_id: agentId });
    c.send({ type: 'subscribe', run_id: runId });
    c.send({ type: 'subscribe', agent_id: agentId });
    await c.next((e) => e.request === 'subscribe' && e.agent_id === agentId);
    expect(c.events).toEqual([
      expect.objectContaining({
        type: 'agent_response_error',
        request: 'user_message',
        status: 404,
        code: 'not_found',
      }),
      expect.objectContaining({
        type: 'agent_response_error',
        request: 'subscribe',
        run_id: runId,
        status: 404,
      }),
      expect.objectContaining({
        type: 'agent_response_error',
        request: 'subscribe',
        agent_id: agentId,
        status: 404,
      }),
    ]);
    expect(c.events[0].message).toMatch(/not found/);
    const r = await connect(a.keys.read_only.key);
    r.send({ type: 'user_message', message: 'hi', agent_id: agentId });
    expect(await r.next((e) => e.type === 'agent_response_error')).toMatchObject({
      status: 403,
      code: 'forbidden',
    });
  });

  it('caps connections per credential (Authorization or ?token= alike) and frees a slot on close', async () => {
    const key = a.keys.org_admin.key;
    const held = [await connect(key), await connect(key, { query: true }), await connect(key)];
    expect(await metric('engram_active_stream_connections', { transport: 'websocket' })).toBe(3);
    await expect(
      WsClient.connect(wsUrl, { headers: { authorization: `Bearer ${key}` } }),
    ).rejects.toMatchObject({
      status: 429,
      body: { detail: expect.stringMatching(/at most 3/) },
    });
    await connect(b.keys.org_admin.key); // another credential is not counted against this one
    held[0].close();
    await held[0].whenClosed();
    await until(async () => {
      const c = await WsClient.connect(wsUrl, { headers: { authorization: `Bearer ${key}` } }).catch(
        () => null,
      );
      if (c) open.push(c);
      return Boolean(c);
    });
  });

  it('answers malformed frames with an error event naming the problem and keeps the socket open', async () => {
    const agentId = await newAgent(a);
    const c = await connect(a.keys.member.key);
    const frames: [unknown, string, RegExp][] = [
      ['{not json', 'invalid_json', /not valid JSON/],
      ['[1,2]', 'invalid_frame', /JSON object/],
      [{ message: 'hi' }, 'invalid_frame', /Missing field "type"/],
      [{ type: 'shout' }, 'unknown_type', /Unknown frame type "shout".*user_message, subscribe, unsubscribe/],
      [{ type: 'user_message', agent_id: agentId }, 'invalid_frame', /needs "message"/],
      [{ type: 'user_message', message: 'hi' }, 'invalid_frame', /needs "agent_id"/],
      [{ type: 'user_message', message: 'hi', agent_id: 'bob' }, 'invalid_frame', /must be an agent id/],
      [
        { type: 'user_message', message: 'hi', agent_id: agentId, stream: true },
        'invalid_frame',
        /Unknown field "stream"/,
      ],
      [{ type: 'subscribe' }, 'invalid_frame', /exactly one of "agent_id" or "run_id"/],
      [{ type: 'subscribe', agent_id: agentId, starting_after: 2 }, 'invalid_frame', /goes with "run_id"/],
    ];
    for (const [frame] of frames) c.send(frame);
    await c.next((_e) => c.events.length >= frames.length);
    expect(c.events).toHaveLength(frames.length);
    frames.forEach(([, code, message], i) => {
      expect(c.events[i]).toEqual({ type: 'error', code, message: expect.stringMatching(message) });
    });
    // Still open and working.
    fake.enqueue({ content: 'still here' });
    c.send({ type: 'user_message', message: 'hi', agent_id: agentId });
    const reply = await c.next((e) => e.message_type === 'assistant_message');
    expect(reply.message).toBe('still here');
  });

  it('drops a slow consumer instead of buffering for it, and stops the run it started', async () => {
    // A run source that produces 12 MB of chunks at once (more than the kernel's socket buffers
    // and the limit hold), in place of the runs module's for this test: the gateway is under test.
    const sources = t.app.get(RunSources);
    const real = sources.get();
    let abandoned = false;
    let produced = 0;
    const fast: RunSource = Object.create(real);
    fast.send = async () => ({
      runId: 'run-00000000-0000-4000-8000-000000000001',
      abandon: () => void (abandoned = true),
      chunks: (async function* () {
        for (let i = 1; i <= 1_200; i++) {
          produced = i;
          yield { message_type: 'assistant_message', content: 'x'.repeat(10_000), seq_id: i };
        }
      })(),
    });
    sources.bind(fast);
    try {
      const agentId = await newAgent(a);
      const before = (await metric('engram_ws_dropped_connections_total', { reason: 'slow_consumer' })) ?? 0;
      const c = await connect(a.keys.member.key);
      (c.socket as unknown as { _socket: { pause(): void } })._socket.pause(); // stops reading
      c.send({ type: 'user_message', message: 'talk a lot', agent_id: agentId });
      await until(() => abandoned);
      expect(await metric('engram_ws_dropped_connections_total', { reason: 'slow_consumer' })).toBe(
        before + 1,
      );
      expect(produced).toBeLessThan(1_200);
      await until(() => t.app.get(WsGateway).connections === 0);
    } finally {
      sources.bind(real);
    }
  });

  it('terminates a peer that stops answering pings', async () => {
    const before = (await metric('engram_ws_dropped_connections_total', { reason: 'heartbeat' })) ?? 0;
    const c = await connect(a.keys.member.key, { autoPong: false });
    const closed = await c.whenClosed(HEARTBEAT_MS * 4);
    expect(closed.code).toBe(1006);
    expect(await metric('engram_ws_dropped_connections_total', { reason: 'heartbeat' })).toBe(before + 1);
    // A peer that answers stays connected past several heartbeats.
    const live = await connect(a.keys.member.key);
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 3));
    expect(live.closed).toBeUndefined();
  });

  // Last: it shuts the app down.
  it('on shutdown closes idle sockets with 1001 at once and refuses new ones, within the grace period', async () => {
    const c = await connect(a.keys.member.key);
    const logs: string[] = [];
    const logger = {
      log: (m: string) => logs.push(m),
      warn: (m: string) => logs.push(m),
      error: (m: string) => logs.push(m),
    };
    const started = Date.now();
    shutDown = true;
    const closing = closeGracefully(t.app, 10_000, logger);
    expect(await c.whenClosed()).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect(await closing).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(
      WsClient.connect(wsUrl, { headers: { authorization: `Bearer ${a.keys.member.key}` } }),
    ).rejects.toThrow();
  });
});
