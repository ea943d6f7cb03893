import Letta, { ConflictError, NotFoundError, UnprocessableEntityError } from '@letta-ai/letta-client';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { FakeOpenAiServer, FakeRequest } from '../support/fake-openai';

type Chunk = { message_type?: string; content?: unknown; id?: string; stop_reason?: string };

/** Conversations through the official client's `conversations` and `conversations.messages`. */
describe('compat: @letta-ai/letta-client conversations', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let client: Letta;
  let stranger: Letta;
  let root: Api;

  const letta = (userId: string) =>
    new Letta({ baseURL: t.baseUrl, apiKey: 'x', maxRetries: 0, defaultHeaders: { user_id: userId } });

  async function collect(stream: AsyncIterable<unknown>): Promise<Chunk[]> {
    const out: Chunk[] = [];
    for await (const c of stream) out.push(c as Chunk);
    return out;
  }
  const texts = (chunks: Chunk[], type: string) =>
    chunks.filter((c) => c.message_type === type).map((c) => c.content);
  /** What one LLM request carried besides its system prompt. */
  const dialogue = (r: FakeRequest) =>
    (r.body.messages as Array<{ role: string; content: unknown }>)
      .filter((m) => m.role !== 'system')
      .map((m) => JSON.stringify(m.content))
      .join('\n');
  const systemOf = (r: FakeRequest) => String(r.body.messages[0].content);

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'OK' } });
    t = await startTestApp({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseUrl });
    root = new Api(t.baseUrl);
    client = letta((await newTenant(root, 'compat-conv')).userId);
    stranger = letta((await newTenant(root, 'compat-conv-other')).userId);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const newAgent = () =>
    client.agents.create({
      model: 'openai/gpt-4o-mini',
      memory_blocks: [{ label: 'human', value: 'The user is Sam.' }],
    });

  it('creates, lists, retrieves, updates and deletes conversations; another tenant gets 404', async () => {
    const agent = await newAgent();
    const first = await client.conversations.create({ agent_id: agent.id, summary: 'first thread' });
    expect(first).toMatchObject({ agent_id: agent.id, summary: 'first thread', archived: false });
    expect(first.id).toMatch(/^conv-[0-9a-f-]{36}$/);
    expect(first.in_context_message_ids).toHaveLength(1); // its own system message
    const second = await client.conversations.create({
      agent_id: agent.id,
      summary: 'second thread',
      description: 'about lunch',
      context_window_limit: 16000,
    });
    expect(second).toMatchObject({ description: 'about lunch', context_window_limit: 16000 });
    await client.conversations.create({ agent_id: agent.id, hidden: true });

    const ids = (list: Array<{ id: string }>) => list.map((c) => c.id);
    expect(ids(await client.conversations.list({ agent_id: agent.id }))).toEqual([second.id, first.id]);
    expect(ids(await client.conversations.list({ agent_id: agent.id, order: 'asc' }))).toEqual([
      first.id,
      second.id,
    ]);
    expect(ids(await client.conversations.list({ agent_id: agent.id, limit: 1, after: second.id }))).toEqual([
      first.id,
    ]);
    expect(ids(await client.conversations.list({ agent_id: agent.id, summary_search: 'SECOND' }))).toEqual([
      second.id,
    ]);
    expect(await client.conversations.retrieve(first.id)).toEqual(first);

    const archived = await client.conversations.update(first.id, { summary: 'renamed', archived: true });
    expect(archived).toMatchObject({ id: first.id, summary: 'renamed', archived: true });
    expect(archived.archived_at).toEqual(expect.any(String));
    expect(ids(await client.conversations.list({ agent_id: agent.id }))).toEqual([second.id]);
    expect(ids(await client.conversations.list({ agent_id: agent.id, archive_status: 'archived' }))).toEqual([
      first.id,
    ]);
    expect(await client.conversations.list({ agent_id: agent.id, archive_status: 'all' })).toHaveLength(2);

    expect(await client.conversations.delete(second.id)).toBeNull();
    await expect(client.conversations.retrieve(second.id)).rejects.toBeInstanceOf(NotFoundError);

    await expect(stranger.conversations.retrieve(first.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.conversations.update(first.id, { summary: 'x' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(stranger.conversations.delete(first.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.conversations.create({ agent_id: agent.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.conversations.list({ agent_id: agent.id })).rejects.toBeInstanceOf(NotFoundError);
    expect(await stranger.conversations.list()).toEqual([]);
    await expect(stranger.conversations.messages.list(first.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.conversations.fork(first.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.conversations.recompile(first.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.conversations.messages.compact(first.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.conversations.cancel(first.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.conversations.messages.create(first.id, { input: 'hi' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(stranger.conversations.messages.stream(first.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      client.conversations.create({ agent_id: agent.id, model_settings: { temperature: 1 } as never }),
    ).rejects.toBeInstanceOf(UnprocessableEntityError);
  });

  it('two conversations on one agent do not see each other’s messages, but share its memory', async () => {
    const agent = await newAgent();
    const teal = await client.conversations.create({ agent_id: agent.id });
    const other = await client.conversations.create({ agent_id: agent.id });
    fake.reset();
    fake.enqueue(
      {
        toolCalls: [
          {
            name: 'memory_replace',
            arguments: { label: 'human', old_string: 'Sam.', new_string: 'Sam, who likes teal.' },
          },
        ],
      },
      { content: 'Noted: teal.' },
    );
    const a = await collect(
      await client.conversations.messages.create(teal.id, {
        messages: [{ role: 'user', content: 'My favourite colour is teal' }],
      }),
    );
    expect(texts(a, 'assistant_message')).toEqual(['Noted: teal.']);
    expect(a.at(-2)).toMatchObject({ message_type: 'stop_reason', stop_reason: 'end_turn' });

    fake.enqueue({ content: 'You like teal.' });
    const b = await collect(
      await client.conversations.messages.create(other.id, { input: 'What do you know about me?' }),
    );
    expect(texts(b, 'assistant_message')).toEqual(['You like teal.']);

    // What the LLM was sent for the second conversation: the shared block, none of the first's talk.
    const [, , forOther] = fake.chatRequests;
    expect(systemOf(forOther)).toContain('Sam, who likes teal.');
    expect(dialogue(forOther)).toContain('What do you know about me?');
    expect(dialogue(forOther)).not.toMatch(/favourite colour|Noted: teal|memory_replace/);
    // And the first conversation's second step saw its own talk.
    expect(dialogue(fake.chatRequests[1])).toContain('My favourite colour is teal');

    const listed = async (id: string) => {
      const out: Chunk[] = [];
      for await (const m of client.conversations.messages.list(id, { order: 'asc' })) out.push(m as Chunk);
      return out;
    };
    const inTeal = await listed(teal.id);
    expect(inTeal.map((m) => m.message_type)).toEqual([
      'system_message',
      'user_message',
      'tool_call_message',
      'tool_return_message',
      'assistant_message',
    ]);
    expect(texts(await listed(other.id), 'user_message')).toEqual(['What do you know about me?']);
    // The agent's own thread has none of them; its history filtered by conversation has them.
    const own = [];
    for await (const m of client.agents.messages.list(agent.id, { conversation_id: 'default' })) own.push(m);
    expect(own.filter((m) => m.message_type === 'user_message')).toEqual([]);
    const byConversation = [];
    for await (const m of client.agents.messages.list(agent.id, { conversation_id: other.id }))
      byConversation.push(m);
    expect(byConversation.map((m) => m.message_type)).toEqual([
      'assistant_message',
      'user_message',
      'system_message',
    ]);
    expect((await client.agents.blocks.retrieve('human', { agent_id: agent.id })).value).toBe(
      'The user is Sam, who likes teal.',
    );

    // Runs carry the conversation; each conversation's in-context list moved, not the agent's.
    const runs = (
      await client.runs.list({ agent_id: agent.id, conversation_id: teal.id })
    ).getPaginatedItems();
    expect(runs.map((r) => r.conversation_id)).toEqual([teal.id]);
    expect((await client.conversations.retrieve(teal.id)).in_context_message_ids).toHaveLength(5);
    expect((await client.conversations.retrieve(other.id)).in_context_message_ids).toHaveLength(3);
    expect((await client.conversations.retrieve(other.id)).last_message_at).toEqual(expect.any(String));
    expect((await client.agents.retrieve(agent.id)).message_ids).toHaveLength(1);

    // Agent-direct mode: 'default' + agent_id is the agent's own thread.
    fake.enqueue({ content: 'Direct.' });
    const direct = await collect(
      await client.conversations.messages.create('default', { agent_id: agent.id, input: 'hello agent' }),
    );
    expect(texts(direct, 'assistant_message')).toEqual(['Direct.']);
    const defaults = [];
    for await (const m of client.conversations.messages.list('default', { agent_id: agent.id, order: 'asc' }))
      defaults.push(m);
    expect(defaults.map((m) => m.message_type)).toEqual([
      'system_message',
      'user_message',
      'assistant_message',
    ]);
  });

  it('forks, recompiles and compacts one conversation without touching the others', async () => {
    const agent = await newAgent();
    const source = await client.conversations.create({ agent_id: agent.id });
    fake.enqueue({ content: 'First answer.' }, { content: 'Second answer.' });
    await collect(await client.conversations.messages.create(source.id, { input: 'first question' }));
    await collect(await client.conversations.messages.create(source.id, { input: 'second question' }));
    const src = await client.conversations.retrieve(source.id);
    expect(src.in_context_message_ids).toHaveLength(5);

    const fork = await client.conversations.fork(source.id);
    expect(fork.agent_id).toBe(agent.id);
    expect(fork.id).not.toBe(source.id);
    expect(fork.in_context_message_ids!.slice(1)).toEqual(src.in_context_message_ids!.slice(1));
    expect(fork.in_context_message_ids![0]).not.toBe(src.in_context_message_ids![0]);
    fake.reset();
    fake.enqueue({ content: 'Forked answer.' });
    await collect(await client.conversations.messages.create(fork.id, { input: 'fork question' }));
    expect(dialogue(fake.chatRequests[0])).toMatch(
      /first question[\s\S]*second question[\s\S]*fork question/,
    );
    const forkMessages = [];
    for await (const m of client.conversations.messages.list(fork.id, { order: 'asc' })) forkMessages.push(m);
    expect(texts(forkMessages as Chunk[], 'user_message')).toEqual([
      'first question',
      'second question',
      'fork question',
    ]);
    const srcUsers = [];
    for await (const m of client.conversations.messages.list(source.id)) srcUsers.push(m);
    expect(texts(srcUsers as Chunk[], 'user_message')).toEqual(['second question', 'first question']);

    const firstUser = src.in_context_message_ids![1];
    const early = await client.conversations.fork(source.id, { message_id: firstUser, hidden: true });
    expect(early.in_context_message_ids!.slice(1)).toEqual([firstUser]);
    expect((await client.conversations.list({ agent_id: agent.id })).map((c) => c.id)).not.toContain(
      early.id,
    );

    const prompt = await client.conversations.recompile(source.id);
    expect(prompt).toContain('The user is Sam.');
    const undated = (text: string) => text.replace(/Current date and time: .*/, '');
    expect(undated(await client.conversations.recompile(source.id, { dry_run: true }))).toBe(undated(prompt));

    fake.enqueue({ content: 'Sam asked two questions.' });
    const compacted = await client.conversations.messages.compact(source.id);
    expect(compacted).toMatchObject({ summary: 'Sam asked two questions.', num_messages_before: 5 });
    expect(compacted.num_messages_after).toBeLessThan(5);
    expect((await client.conversations.retrieve(source.id)).in_context_message_ids).toHaveLength(
      compacted.num_messages_after,
    );
    expect((await client.conversations.retrieve(fork.id)).in_context_message_ids).toHaveLength(7);
    await expect(
      client.conversations.messages.compact(source.id, { compaction_settings: { mode: 'all' } }),
    ).rejects.toBeInstanceOf(UnprocessableEntityError);
  });

  it('resumes a background stream and cancels a conversation’s run', async () => {
    const agent = await newAgent();
    const c = await client.conversations.create({ agent_id: agent.id });
    fake.enqueue({ content: 'Later.', delayMs: 400 });
    const started = await client.conversations.messages.create(c.id, {
      input: 'take your time',
      background: true,
    });
    started.controller.abort(); // the client leaves; a background run goes on
    const resumed = await collect(await client.conversations.messages.stream(c.id));
    expect(texts(resumed, 'assistant_message')).toEqual(['Later.']);
    expect(resumed.find((x) => x.message_type === 'stop_reason')).toMatchObject({ stop_reason: 'end_turn' });
    const again = await collect(await client.conversations.messages.stream(c.id, { starting_after: 1 }));
    expect(again.length).toBe(resumed.length - 1);

    fake.enqueue({ content: 'Never.', delayMs: 5000 });
    const slow = await client.conversations.messages.create(c.id, { input: 'wait', background: true });
    slow.controller.abort();
    let cancelled: Record<string, unknown> = {};
    for (let i = 0; i < 50 && Object.keys(cancelled).length === 0; i++) {
      try {
        cancelled = (await client.conversations.cancel(c.id)) as Record<string, unknown>;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const [runId] = Object.keys(cancelled);
    expect(cancelled).toEqual({ [runId]: 'cancelled' });
    expect((await client.runs.retrieve(runId)).status).toBe('cancelled');
    await expect(client.conversations.cancel(c.id)).rejects.toBeInstanceOf(ConflictError);
  });

  it("messages.list lists the organization's messages across agents and conversations", async () => {
    const solo = letta((await newTenant(root, 'compat-all-messages')).userId);
    const plain = await solo.agents.create({ model: 'openai/gpt-4o-mini' });
    const memgpt = await solo.agents.create({ model: 'openai/gpt-4o-mini', agent_type: 'memgpt_v2_agent' });
    fake.reset();
    fake.enqueue(
      { content: 'reply A' },
      { toolCalls: [{ name: 'send_message', arguments: { message: 'reply B' } }] },
      { content: 'conv reply' },
    );
    await solo.agents.messages.create(plain.id, { input: 'hello A' });
    await solo.agents.messages.create(memgpt.id, { input: 'hello B' });
    const conv = await solo.conversations.create({ agent_id: plain.id });
    await collect(await solo.conversations.messages.create(conv.id, { input: 'in conv' }));

    const talk = { include_return_message_types: ['user_message' as const, 'assistant_message' as const] };
    const said = (list: Chunk[]) => list.map((m) => m.content);
    // Each agent's messages rendered the way its type renders them (send_message as an assistant message).
    const all = (await solo.messages.list({ ...talk, order: 'asc' })) as Chunk[];
    expect(said(all)).toEqual(['hello A', 'reply A', 'hello B', 'reply B', 'in conv', 'conv reply']);
    expect(said((await solo.messages.list(talk)) as Chunk[])).toEqual(said(all).reverse());
    expect(
      said((await solo.messages.list({ ...talk, conversation_id: conv.id, order: 'asc' })) as Chunk[]),
    ).toEqual(['in conv', 'conv reply']);
    const withSystem = (await solo.messages.list({ conversation_id: conv.id, order: 'asc' })) as Chunk[];
    expect(withSystem[0].message_type).toBe('system_message');
    expect(
      said((await solo.messages.list({ ...talk, conversation_id: 'default', order: 'asc' })) as Chunk[]),
    ).toEqual(['hello A', 'reply A', 'hello B', 'reply B']);
    const firstTwo = (await solo.messages.list({ order: 'asc', limit: 2 })) as Chunk[];
    expect(firstTwo).toHaveLength(2);
    const next = (await solo.messages.list({ order: 'asc', limit: 2, after: firstTwo[1].id })) as Chunk[];
    expect(next[0].id).not.toBe(firstTwo[1].id);
    const everything = (await solo.messages.list({ order: 'asc', limit: 1000 })) as Chunk[];
    expect(everything.slice(2, 4).map((m) => m.id)).toEqual(next.map((m) => m.id));

    const theirs = new Set(((await stranger.messages.list({ limit: 1000 })) as Chunk[]).map((m) => m.id));
    expect(everything.filter((m) => theirs.has(m.id!))).toEqual([]);
    await expect(stranger.messages.list({ conversation_id: conv.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.messages.list({ after: everything[0].id! })).rejects.toBeInstanceOf(NotFoundError);
  });
});
