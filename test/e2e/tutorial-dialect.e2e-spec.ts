import { Api, startTestApp, TestApp } from '../support/app';
import { ADMIN_KEY, bearer, tenantWithKeys, TenantWithKeys } from '../support/auth';
import { FakeOpenAiServer, FakeRequest } from '../support/fake-openai';

/** The text of the last user message the provider was sent. */
function lastUserText(req: FakeRequest): string {
  const users = (req.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user');
  const content = users[users.length - 1]?.content;
  const text = Array.isArray(content)
    ? content.map((part: { text?: string }) => part.text ?? '').join('')
    : String(content ?? '');
  // An agent may wrap the user's text in a JSON envelope; the test only needs the words.
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed?.message === 'string') return parsed.message;
  } catch {
    /* plain text */
  }
  return text;
}

/** Chat requests the fake received (not model listings). */
const chats = (fake: FakeOpenAiServer) => fake.requests.filter((r) => r.path.endsWith('/chat/completions'));

/** An NDJSON body, parsed line by line (every line must be one JSON object). */
async function ndjson(res: Response): Promise<Record<string, any>[]> {
  const text = await res.text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/**
 * The tutorial dialect Letta's older references teach: unversioned `/agents/...`, an agent
 * addressed by id or by name, `{persona, human, model}` on create, `{message}` on send answered
 * with `{content, messages, usage}` (or NDJSON), batches and conversations. Auth is on: every
 * call carries a Bearer key.
 */
describe('the tutorial dialect: /agents/:id_or_name/... (e2e, auth on)', () => {
  let fake: FakeOpenAiServer;
  let other: FakeOpenAiServer;
  let t: TestApp;
  let a: TenantWithKeys;
  let b: TenantWithKeys;
  let api: Api;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({
      defaultReply: (req) => ({ content: `echo: ${lastUserText(req)}` }),
    });
    // A second provider: `tiny-llama` only it serves, `gpt-4o` both serve.
    other = await FakeOpenAiServer.start({ models: ['tiny-llama', 'gpt-4o'] });
    t = await startTestApp({
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      ENGRAM_RATE_LIMIT_PER_MINUTE: '100000',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_COMPATIBLE_BASE_URL: other.baseUrl,
      // A provider error is the run's at once (the failing-provider case).
      LLM_MAX_RETRIES: '0',
    });
    const admin = bearer(t.baseUrl, ADMIN_KEY);
    a = await tenantWithKeys(admin, 'tutorial-a');
    b = await tenantWithKeys(admin, 'tutorial-b');
    api = a.as.member;
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    await other?.close();
  });

  it('creates an agent from {name, persona, human, model}: the blocks are its core memory, a bare model name finds its provider', async () => {
    const created = await api.post('/agents', {
      name: 'sam',
      persona: 'I am Sam, a helpful assistant.',
      human: 'The user is called Chad.',
      model: 'gpt-4o-mini',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'sam', model: 'openai/gpt-4o-mini' });
    expect(created.body.id).toMatch(/^agent-/);
    const blocks = Object.fromEntries(created.body.memory.blocks.map((x: any) => [x.label, x.value]));
    expect(blocks).toEqual({ persona: 'I am Sam, a helpful assistant.', human: 'The user is called Chad.' });
    // The same agent through /v1.
    const v1 = await api.get(`/v1/agents/${created.body.id}`);
    expect(v1.body).toMatchObject({ id: created.body.id, name: 'sam', model: 'openai/gpt-4o-mini' });

    // `human` is optional; a handle works as well as a bare name.
    const bare = await api.post('/agents', { name: 'solo', persona: 'Just me.', model: 'openai/gpt-4o' });
    expect(bare.status).toBe(200);
    expect(bare.body.memory.blocks.map((x: any) => x.label)).toEqual(['persona']);
    expect(bare.body.model).toBe('openai/gpt-4o');
    const tiny = await api.post('/agents', { name: 'tiny', persona: 'Small.', model: 'tiny-llama' });
    expect(tiny.status).toBe(200);
    expect(tiny.body.model).toBe('openai-compatible/tiny-llama');

    // A bare name no provider serves, or several serve, is a 422 naming `model`.
    const unknown = await api.post('/agents', { name: 'x', persona: 'p', model: 'gpt-nope' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).toMatch(/^model: no configured provider serves a model named 'gpt-nope'/);
    const ambiguous = await api.post('/agents', { name: 'x', persona: 'p', model: 'gpt-4o' });
    expect(ambiguous.status).toBe(422);
    expect(ambiguous.body.detail).toContain('openai-compatible/gpt-4o, openai/gpt-4o');
    // Unknown fields and missing ones are refused, naming them; nothing is created.
    const extra = await api.post('/agents', { name: 'x', persona: 'p', model: 'gpt-4o-mini', memory: 'm' });
    expect(extra.status).toBe(422);
    expect(extra.body.detail).toMatch(/memory/);
    const missing = await api.post('/agents', { name: 'x', model: 'gpt-4o-mini' });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toMatch(/persona/);
    expect((await api.get('/v1/agents?name=x')).body).toEqual([]);
  });

  it('reads, lists and deletes agents by name or id', async () => {
    const sam = (await api.get('/agents/sam')).body;
    expect(sam).toMatchObject({ name: 'sam', model: 'openai/gpt-4o-mini' });
    expect((await api.get(`/agents/${sam.id}`)).body.id).toBe(sam.id);
    expect((await api.get(`/agents/${sam.id.toUpperCase()}`)).body.id).toBe(sam.id);
    const listed = await api.get('/agents?name=sam');
    expect(listed.status).toBe(200);
    expect(listed.body.map((x: any) => x.id)).toEqual([sam.id]);
    expect((await api.get('/agents?limit=2&order=asc')).body.map((x: any) => x.name)).toEqual([
      'sam',
      'solo',
    ]);

    const doomed = await api.post('/agents', { name: 'doomed', persona: 'p', model: 'gpt-4o-mini' });
    const deleted = await api.delete('/agents/doomed');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({
      id: doomed.body.id,
      deleted: true,
      message: `Agent ${doomed.body.id} was deleted`,
    });
    expect((await api.get('/agents/doomed')).status).toBe(404);
    expect((await api.get(`/v1/agents/${doomed.body.id}`)).status).toBe(404);
  });

  it('sends by name and by id, answering {content, messages, usage}', async () => {
    const before = chats(fake).length;
    const byName = await api.post('/agents/sam/messages', { message: 'hello there' });
    expect(byName.status).toBe(200);
    expect(byName.body).toMatchObject({
      content: 'echo: hello there',
      stop_reason: 'end_turn',
      conversation_id: null,
      usage: { message_type: 'usage_statistics', step_count: 1 },
    });
    expect(byName.body.usage.total_tokens).toBeGreaterThan(0);
    expect(byName.body.run_id).toMatch(/^run-/);
    expect(byName.body.usage.run_ids).toEqual([byName.body.run_id]);
    expect(byName.body.messages).toContainEqual(
      expect.objectContaining({ message_type: 'assistant_message', content: 'echo: hello there' }),
    );
    expect(byName.body.messages.map((m: any) => m.message_type)).not.toContain('user_message');
    // The persona and human blocks are in the prompt the model saw.
    const sent = chats(fake).slice(before);
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0].body.messages[0])).toContain('I am Sam, a helpful assistant.');
    expect(JSON.stringify(sent[0].body.messages[0])).toContain('The user is called Chad.');

    const sam = (await api.get('/agents/sam')).body;
    const byId = await api.post(`/agents/${sam.id}/messages`, { message: 'again' });
    expect(byId.status).toBe(200);
    expect(byId.body.content).toBe('echo: again');
    // Both landed in the agent's history (the /v1 view and the dialect's agree).
    const history = await api.get('/agents/sam/messages?order=asc');
    expect(history.status).toBe(200);
    expect(history.body).toEqual((await api.get(`/v1/agents/${sam.id}/messages?order=asc`)).body);
    const users = history.body.filter((m: any) => m.message_type === 'user_message');
    expect(users.map((m: any) => JSON.stringify(m.content))).toEqual([
      expect.stringContaining('hello there'),
      expect.stringContaining('again'),
    ]);
  });

  it('refuses bad send bodies with a 422 naming the field, and sends nothing', async () => {
    const before = chats(fake).length;
    const cases: [unknown, RegExp][] = [
      [{ message: 'hi', role: 'user' }, /role/],
      [{ messages: [{ role: 'user', content: 'hi' }] }, /messages/],
      [{}, /message/],
      [{ message: '' }, /message/],
      [{ message: 'hi', stream: 'yes' }, /stream/],
      [{ message: 'hi', conversation_id: 'nope' }, /conversation_id/],
    ];
    for (const [body, field] of cases) {
      const res = await api.post('/agents/sam/messages', body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect(res.body.detail).toMatch(field);
    }
    expect(chats(fake).length).toBe(before);
  });

  it('streams with stream: true as newline-delimited JSON, each reply piece in content, then a done line', async () => {
    fake.enqueue({ content: 'Streaming is fun to watch' });
    const checked = t.contract.chunksChecked;
    const res = await fetch(`${t.baseUrl}/agents/sam/messages`, {
      method: 'POST',
      headers: { ...api.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'stream please', stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = await ndjson(res);
    const content = lines.filter((l) => l.type === 'content');
    expect(content.length).toBeGreaterThan(1);
    expect(content.map((l) => l.content).join('')).toBe('Streaming is fun to watch');
    expect(new Set(content.map((l) => l.message_id)).size).toBe(1);
    const seqs = lines.filter((l) => l.seq_id !== undefined).map((l) => l.seq_id);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const done = lines[lines.length - 1];
    expect(done).toMatchObject({ type: 'done', stop_reason: 'end_turn', conversation_id: null });
    expect(done.usage).toMatchObject({ message_type: 'usage_statistics', step_count: 1 });
    expect(done.run_id).toMatch(/^run-/);
    expect(lines.filter((l) => l.type === 'done')).toHaveLength(1);
    // Each line was checked against the route's documented NDJSON schema (openapi.json).
    expect(t.contract.chunksChecked - checked).toBe(lines.length);
    // The run is the same as any other: its messages are in /v1.
    const run = (await api.get(`/v1/runs/${done.run_id}`)).body;
    expect(run).toMatchObject({ status: 'completed', stop_reason: 'end_turn' });

    // Refused before anything streams: a JSON error, not a stream.
    const unknown = await fetch(`${t.baseUrl}/agents/nobody/messages`, {
      method: 'POST',
      headers: { ...api.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'x', stream: true }),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('reports a failing provider: the reply’s stop reason, and an error line before the done line', async () => {
    const down = { status: 500, error: 'upstream exploded', headers: { 'retry-after-ms': '1' } };
    fake.enqueue(down);
    const sync = await api.post('/agents/solo/messages', { message: 'are you there?' });
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({ content: '', stop_reason: 'llm_api_error' });

    fake.enqueue(down);
    const res = await fetch(`${t.baseUrl}/agents/solo/messages`, {
      method: 'POST',
      headers: { ...api.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'still there?', stream: true }),
    });
    expect(res.status).toBe(200);
    const lines = await ndjson(res);
    expect(lines.filter((l) => l.type === 'content')).toEqual([]);
    const error = lines.find((l) => l.type === 'error');
    expect(error).toMatchObject({ run_id: expect.stringMatching(/^run-/), detail: expect.any(String) });
    expect(lines[lines.length - 1]).toMatchObject({
      type: 'done',
      stop_reason: 'llm_api_error',
      run_id: error!.run_id,
    });
    expect(lines.indexOf(error!)).toBeLessThan(lines.length - 1);
  });

  it('sends a batch in order and answers one reply per message', async () => {
    const res = await api.post('/agents/solo/batch', { messages: ['first', { message: 'second' }, 'third'] });
    expect(res.status).toBe(200);
    expect(res.body.map((r: any) => r.content)).toEqual(['echo: first', 'echo: second', 'echo: third']);
    for (const reply of res.body) {
      expect(reply).toMatchObject({ stop_reason: 'end_turn', conversation_id: null });
      expect(reply.usage.run_ids).toEqual([reply.run_id]);
    }
    expect(new Set(res.body.map((r: any) => r.run_id)).size).toBe(3);
    // Each message saw the ones before it: one thread, in order.
    const last = chats(fake)[chats(fake).length - 1].body.messages.map((m: any) => JSON.stringify(m.content));
    expect(last.join('\n')).toMatch(/first[\s\S]*echo: first[\s\S]*second[\s\S]*echo: second[\s\S]*third/);

    // One bad item refuses the whole batch, naming it, before anything is sent.
    const before = chats(fake).length;
    const unknownConv = 'conv-00000000-0000-4000-8000-000000000000';
    for (const [messages, status, named] of [
      [['ok', { message: 'x', stream: true }], 422, /messages\[1\]\.stream/],
      [['ok', ''], 422, /messages\[1\]/],
      [['ok', 3], 422, /messages\[1\]/],
      [[], 422, /messages/],
      [
        ['ok', { message: 'x', conversation_id: unknownConv }],
        404,
        /^messages\[1\]: Conversation .* \(none was sent\)$/,
      ],
    ] as [unknown[], number, RegExp][]) {
      const bad = await api.post('/agents/solo/batch', { messages });
      expect({ messages, status: bad.status }).toEqual({ messages, status });
      expect(bad.body.detail).toMatch(named);
    }
    expect((await api.post('/agents/solo/batch', { messages: ['x'], extra: 1 })).status).toBe(422);
    for (const messages of ['hi', { message: 'hi' }, null, 7]) {
      const bad = await api.post('/agents/solo/batch', { messages });
      expect({ messages, status: bad.status }).toEqual({ messages, status: 422 });
      expect(bad.body.detail).toMatch(/^Invalid request: messages/);
    }
    expect(chats(fake).length).toBe(before);
  });

  it('answers 409 listing the ids when a name is ambiguous, 404 when unknown or another organization’s', async () => {
    const one = await api.post('/agents', { name: 'twin', persona: 'p', model: 'gpt-4o-mini' });
    const two = await api.post('/agents', { name: 'twin', persona: 'p', model: 'gpt-4o-mini' });
    for (const [method, path, body] of [
      ['GET', '/agents/twin', undefined],
      ['POST', '/agents/twin/messages', { message: 'hi' }],
      ['POST', '/agents/twin/batch', { messages: ['hi'] }],
      ['GET', '/agents/twin/conversations', undefined],
      ['DELETE', '/agents/twin', undefined],
    ] as const) {
      const res = await api.request(method, path, body);
      expect({ path, status: res.status }).toEqual({ path, status: 409 });
      expect(res.body.code).toBe('ambiguous_agent_name');
      expect(res.body.detail).toContain(`2 agents are named 'twin': ${one.body.id}, ${two.body.id}`);
    }
    // By id each is still reachable.
    expect((await api.get(`/agents/${two.body.id}`)).body.id).toBe(two.body.id);

    expect((await api.get('/agents/nobody')).status).toBe(404);
    expect((await api.get('/agents/nobody')).body.detail).toBe("Agent 'nobody' not found");
    expect((await api.post('/agents/nobody/messages', { message: 'hi' })).status).toBe(404);
    // Another organization sees neither A's names nor A's ids, and its own `sam` is its own.
    const sam = (await api.get('/agents/sam')).body;
    const theirs = b.as.member;
    expect((await theirs.get('/agents/sam')).status).toBe(404);
    expect((await theirs.get(`/agents/${sam.id}`)).status).toBe(404);
    expect((await theirs.post(`/agents/${sam.id}/messages`, { message: 'hi' })).status).toBe(404);
    expect((await theirs.post('/agents/sam/batch', { messages: ['hi'] })).status).toBe(404);
    expect((await theirs.delete(`/agents/${sam.id}`)).status).toBe(404);
    expect((await theirs.get(`/agents/${sam.id}/conversations`)).status).toBe(404);
    expect((await theirs.get('/agents')).body).toEqual([]);
    const own = await theirs.post('/agents', { name: 'sam', persona: 'Their Sam.', model: 'gpt-4o-mini' });
    expect((await theirs.get('/agents/sam')).body.id).toBe(own.body.id);
    expect((await api.get('/agents/sam')).body.id).toBe(sam.id);
  });

  it('maps conversations: create and list on the agent, send into one, list its messages', async () => {
    const created = await api.post('/agents/sam/conversations', { summary: 'trip planning' });
    expect(created.status).toBe(200);
    const sam = (await api.get('/agents/sam')).body;
    expect(created.body).toMatchObject({ agent_id: sam.id, summary: 'trip planning' });
    const conv = created.body.id;
    expect(conv).toMatch(/^conv-/);
    const listed = await api.get('/agents/sam/conversations');
    expect(listed.status).toBe(200);
    expect(listed.body.map((c: any) => c.id)).toEqual([conv]);

    const sent = await api.post('/agents/sam/messages', { message: 'where to?', conversation_id: conv });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ content: 'echo: where to?', conversation_id: conv });
    const batch = await api.post('/agents/sam/batch', {
      messages: [{ message: 'in the thread', conversation_id: conv }, 'outside it'],
    });
    expect(batch.body.map((r: any) => r.conversation_id)).toEqual([conv, null]);

    const inConv = await api.get(`/agents/sam/conversations/${conv}/messages?order=asc`);
    expect(inConv.status).toBe(200);
    expect(inConv.body).toEqual((await api.get(`/v1/conversations/${conv}/messages?order=asc`)).body);
    const text = JSON.stringify(inConv.body);
    expect(text).toContain('where to?');
    expect(text).toContain('in the thread');
    expect(text).not.toContain('outside it');
    // The agent's own thread (`default`) does not see the conversation's messages.
    const own = JSON.stringify((await api.get('/agents/sam/conversations/default/messages')).body);
    expect(own).toContain('outside it');
    expect(own).not.toContain('where to?');
    // A streamed send into the conversation says so on its done line.
    const res = await fetch(`${t.baseUrl}/agents/sam/messages`, {
      method: 'POST',
      headers: { ...api.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'streamed', stream: true, conversation_id: conv }),
    });
    const lines = await ndjson(res);
    expect(lines[lines.length - 1]).toMatchObject({ type: 'done', conversation_id: conv });

    // Another agent's conversation is not this agent's; a bad id is a 422.
    expect((await api.get(`/agents/solo/conversations/${conv}/messages`)).status).toBe(404);
    expect((await api.post('/agents/solo/messages', { message: 'x', conversation_id: conv })).status).toBe(
      404,
    );
    expect((await api.get('/agents/sam/conversations/nope/messages')).status).toBe(422);
    expect((await api.post('/agents/sam/conversations', { summary: 's', color: 'red' })).status).toBe(422);
    expect((await b.as.member.get(`/agents/${sam.id}/conversations/${conv}/messages`)).status).toBe(404);
  });

  it('takes the same Bearer credentials, roles and rate limits as /v1', async () => {
    const anonymous = new Api(t.baseUrl);
    for (const [method, path] of [
      ['GET', '/agents'],
      ['GET', '/agents/sam'],
      ['POST', '/agents/sam/messages'],
      ['POST', '/agents/sam/batch'],
      ['GET', '/agents/sam/conversations'],
    ] as const) {
      const res = await anonymous.request(method, path, method === 'POST' ? { message: 'x' } : undefined);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await bearer(t.baseUrl, 'sk-engram-not-a-key').get('/agents')).status).toBe(401);
    const read = await a.as.read_only.get('/agents/sam');
    expect(read.status).toBe(200);
    expect(read.headers.get('x-ratelimit-limit')).toBe('100000');
    expect((await a.as.read_only.post('/agents/sam/messages', { message: 'x' })).status).toBe(403);
    expect((await a.as.read_only.post('/agents', { persona: 'p', model: 'gpt-4o-mini' })).status).toBe(403);
    expect((await a.as.read_only.delete('/agents/sam')).status).toBe(403);

    // A client-side access token reaches the agents its policy names, by id (a name is not in
    // its policy: a 404, as for any agent it does not name), and nothing else.
    const sam = (await api.get('/agents/sam')).body;
    const created = await api.post('/v1/client-side-access-tokens', {
      hostname: 'https://app.test',
      policy: [{ type: 'agent', id: sam.id, access: ['read_messages', 'write_messages'] }],
    });
    expect(created.status).toBe(200);
    const browser = bearer(t.baseUrl, created.body.token, { origin: 'https://app.test' });
    const viaToken = await browser.post(`/agents/${sam.id}/messages`, { message: 'from the browser' });
    expect(viaToken.status).toBe(200);
    expect(viaToken.body.content).toBe('echo: from the browser');
    expect((await browser.get(`/agents/${sam.id}/messages`)).status).toBe(200);
    expect((await browser.post('/agents/sam/messages', { message: 'x' })).status).toBe(404);
    expect((await browser.get(`/agents/${sam.id}`)).status).toBe(403);
    expect((await browser.get('/agents')).status).toBe(403);

    // Metrics label the routes as clients call them.
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/route="\/agents\/:agent_id\/messages"/);
    expect(metrics).not.toContain('route="/v1/tutorial');
  });
});
