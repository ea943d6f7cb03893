import { DataSource } from 'typeorm';
import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

/**
 * The in-process copy of an agent's in-context messages (src/runs/context-cache.ts): what the
 * LLM is sent from it must be what a fresh read of Postgres gives, and any change made behind
 * this process's back (another replica, a direct edit) must reach the next step.
 */
describe('in-context message cache (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  let db: DataSource;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'ok' } });
    t = await startTestApp({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseUrl });
    api = await newTenant(new Api(t.baseUrl), 'context-cache');
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  afterEach(() => {
    fake.reset();
    fake.defaultReply = { content: 'ok' };
  });

  const newAgent = async () =>
    (
      await api.post('/v1/agents', {
        model: 'openai/gpt-4o-mini',
        memory_blocks: [{ label: 'human', value: 'Name: Sam' }],
      })
    ).body;
  const send = async (agentId: string, input: string) => {
    const res = await api.post(`/v1/agents/${agentId}/messages`, { input });
    expect(res.status).toBe(200);
    return res.body;
  };
  /** The non-system messages of the last LLM request, as text. */
  const sent = () =>
    fake.lastRequest!.body.messages.slice(1).map((m: any) => JSON.stringify(m.content ?? m.tool_calls));
  /** Makes the agent's row change behind the app's back, as another replica's write would. */
  const touch = (agentId: string) =>
    db.query(`UPDATE agents SET updated_at = now() WHERE id = $1`, [agentId]);

  it('sends the LLM the same messages from its copy as from a fresh read, across tool steps', async () => {
    // A scripted model: "[3]" messages edit core memory, then archival memory, then answer;
    // others answer at once.
    fake.defaultReply = (req: any) => {
      const msgs = req.body.messages;
      const user = [...msgs].reverse().find((m: any) => m.role === 'user');
      const tools = msgs.slice(msgs.lastIndexOf(user)).filter((m: any) => m.role === 'tool').length;
      if (!JSON.stringify(user?.content ?? '').includes('[3]')) return { content: 'plain answer' };
      if (tools === 0)
        return {
          toolCalls: [
            {
              id: `c-${msgs.length}`,
              name: 'memory_insert',
              arguments: { label: 'human', new_string: 'tea' },
            },
          ],
        };
      if (tools === 1)
        return {
          toolCalls: [
            { id: `s-${msgs.length}`, name: 'archival_memory_insert', arguments: { content: 'tea' } },
          ],
        };
      return { content: 'noted' };
    };
    const cached = await newAgent();
    const fresh = await newAgent();
    const inputs = ['hello', '[3] remember tea', 'and now?', '[3] again', 'bye'];
    const seen: Record<string, string[][]> = { cached: [], fresh: [] };
    for (const input of inputs) {
      for (const [name, agent] of [
        ['cached', cached],
        ['fresh', fresh],
      ] as const) {
        if (name === 'fresh') await touch(agent.id);
        const before = fake.requests.length;
        await send(agent.id, input);
        for (const r of fake.requests.slice(before))
          seen[name].push(
            r.body.messages.slice(1).map((m: any) => {
              const { content, ...rest } = m;
              // Timestamps packed into heartbeats and tool returns differ between the two agents.
              return JSON.stringify({ ...rest, content }).replace(/\d{4}-\d{2}-\d{2}[^"\\]*/g, 'TIME');
            }),
          );
      }
    }
    expect(seen.cached.length).toBe(1 + 3 + 1 + 3 + 1);
    expect(seen.cached).toEqual(seen.fresh);
    // The last request carries the whole conversation, tool calls and their returns included.
    const last = seen.cached.at(-1)!;
    expect(last.filter((m) => m.includes('"role":"tool"')).length).toBe(4);
    expect(last.at(-1)).toContain('bye');
  });

  it('sees a message edited or deleted behind its back, and a reset', async () => {
    const a = await newAgent();
    await send(a.id, 'first message');
    await send(a.id, 'second message');
    const ids: string[] = (await api.get(`/v1/agents/${a.id}`)).body.message_ids;
    const rows: { id: string; role: string; text: string }[] = await db.query(
      `SELECT id, role, text_content AS text FROM messages WHERE id = ANY($1) ORDER BY sequence_id`,
      [ids],
    );
    const first = rows.find((r) => r.text.includes('first message'))!;
    await db.query(`UPDATE messages SET content = $2::jsonb WHERE id = $1`, [
      first.id,
      JSON.stringify([{ type: 'text', text: 'EDITED ELSEWHERE' }]),
    ]);
    await send(a.id, 'third message');
    expect(sent().join('\n')).toContain('EDITED ELSEWHERE');
    expect(sent().join('\n')).not.toContain('first message');

    const second = rows.find((r) => r.text.includes('second message'))!;
    await db.query(`DELETE FROM messages WHERE id = $1`, [second.id]);
    await send(a.id, 'fourth message');
    expect(sent().join('\n')).not.toContain('second message');
    expect(sent().join('\n')).toContain('third message');

    expect((await api.patch(`/v1/agents/${a.id}/reset-messages`, {})).status).toBe(200);
    await send(a.id, 'after reset');
    expect(sent()).toEqual([JSON.stringify('after reset')]);
  });

  it('sees messages another replica added (the row moved on without this process)', async () => {
    const a = await newAgent();
    await send(a.id, 'from this replica');
    // Another writer appends a message to the context, as a step on another replica does.
    const [{ org }] = await db.query(`SELECT organization_id AS org FROM agents WHERE id = $1`, [a.id]);
    await db.query(
      `INSERT INTO messages (id, organization_id, agent_id, role, content, text_content, created_at)
       VALUES ('message-elsewhere-1', $1, $2, 'user', $3::jsonb, 'from elsewhere', now())`,
      [org, a.id, JSON.stringify([{ type: 'text', text: 'from another replica' }])],
    );
    await db.query(`UPDATE agents SET message_ids = message_ids || '{message-elsewhere-1}' WHERE id = $1`, [
      a.id,
    ]);
    await send(a.id, 'back here');
    const texts = sent().join('\n');
    expect(texts).toContain('from this replica');
    expect(texts).toContain('from another replica');
    expect(texts.indexOf('from another replica')).toBeLessThan(texts.indexOf('back here'));
  });

  it("gives each later step the prompt inputs its previous step's commit read: memory, counts, tags", async () => {
    // Step 1 edits core memory, step 2 inserts a tagged passage, step 3 answers.
    fake.defaultReply = (req: any) => {
      const msgs = req.body.messages;
      const user = msgs.map((m: any) => m.role).lastIndexOf('user');
      if (!JSON.stringify(msgs[user].content).includes('remember my tea')) return { content: 'ok' };
      const tools = msgs.slice(user).filter((m: any) => m.role === 'tool');
      if (tools.length === 0)
        return {
          toolCalls: [
            { name: 'memory_insert', arguments: { label: 'human', new_string: 'Likes green tea' } },
          ],
        };
      if (tools.length === 1)
        return {
          toolCalls: [
            { name: 'archival_memory_insert', arguments: { content: 'tea facts', tags: ['drinks'] } },
          ],
        };
      return { content: 'noted' };
    };
    const agent = await newAgent();
    await send(agent.id, 'first, to have some history');
    fake.reset();
    const reply = await send(agent.id, 'remember my tea');
    expect(reply.usage.step_count).toBe(3);
    const prompts: string[] = fake.chatRequests.map((r) => r.body.messages[0].content);
    expect(prompts).toHaveLength(3);

    // What a fresh read gives at each request: every message stored before the step's own.
    const steps: { id: string }[] = await db.query(
      `SELECT id FROM steps WHERE agent_id = $1 AND run_id = $2 ORDER BY step_index`,
      [agent.id, reply.messages[0].run_id],
    );
    expect(steps).toHaveLength(3);
    for (const [i, step] of steps.entries()) {
      const [{ n }] = await db.query(
        `SELECT count(*)::int AS n FROM messages WHERE agent_id = $1 AND sequence_id <
           (SELECT min(sequence_id) FROM messages WHERE step_id = $2)`,
        [agent.id, step.id],
      );
      expect(prompts[i]).toContain(`Recall memory holds ${n} earlier message(s)`);
    }
    expect(prompts[0]).not.toContain('Likes green tea');
    expect(prompts[1]).toContain('Likes green tea');
    expect(prompts[1]).toContain('Archival memory holds 0 passage(s)');
    expect(prompts[2]).toContain('Likes green tea');
    expect(prompts[2]).toContain('Archival memory holds 1 passage(s)');
    expect(prompts[2]).toContain('Archival memory tags in use: drinks');
  });
});
