import Letta, { NotFoundError, UnprocessableEntityError } from '@letta-ai/letta-client';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { FakeOpenAiServer } from '../support/fake-openai';

/** Scheduled messages through the official client's `agents.schedule` methods. */
describe('compat: @letta-ai/letta-client agents.schedule', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let client: Letta;
  let stranger: Letta;

  const letta = (userId: string) =>
    new Letta({ baseURL: t.baseUrl, apiKey: 'x', maxRetries: 0, defaultHeaders: { user_id: userId } });

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'On it.' } });
    t = await startTestApp({
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: fake.baseUrl,
      ENGRAM_PROCESS_JOBS: 'true',
    });
    const root = new Api(t.baseUrl);
    client = letta((await newTenant(root, 'compat-sched')).userId);
    stranger = letta((await newTenant(root, 'compat-sched-other')).userId);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('creates, lists, retrieves and deletes scheduled messages; a one-time one fires', async () => {
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    const at = Date.now() + 1000;
    const once = await client.agents.schedule.create(agent.id, {
      messages: [{ role: 'user', content: 'Remind me to stretch' }],
      schedule: { type: 'one-time', scheduled_at: at },
    });
    expect(once.id).toMatch(/^scheduled_message-/);
    expect(once.next_scheduled_at).toBe(new Date(at).toISOString());
    const daily = await client.agents.schedule.create(agent.id, {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Daily digest' }] }],
      schedule: { type: 'recurring', cron_expression: '0 9 * * *' },
      max_steps: 2,
    });
    const next9 = new Date(daily.next_scheduled_at!);
    expect([next9.getUTCHours(), next9.getUTCMinutes(), next9.getUTCSeconds()]).toEqual([9, 0, 0]);

    const listed = await client.agents.schedule.list(agent.id);
    expect(listed.has_next_page).toBe(false);
    expect(listed.scheduled_messages.map((s) => s.id)).toEqual([once.id, daily.id]);
    const got = await client.agents.schedule.retrieve(daily.id, { agent_id: agent.id });
    expect(got).toMatchObject({
      id: daily.id,
      agent_id: agent.id,
      schedule: { type: 'recurring', cron_expression: '0 9 * * *' },
      message: {
        max_steps: 2,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Daily digest' }] }],
      },
      next_scheduled_time: daily.next_scheduled_at,
    });

    for (let i = 0; i < 100; i++) {
      const s = await client.agents.schedule.retrieve(once.id, { agent_id: agent.id });
      if (s.next_scheduled_time === null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const fired = await client.agents.schedule.retrieve(once.id, { agent_id: agent.id });
    expect(fired.next_scheduled_time).toBeNull();
    for (let i = 0; i < 100; i++) {
      const msgs = await client.agents.messages.list(agent.id);
      if (msgs.getPaginatedItems().some((m) => m.message_type === 'assistant_message')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const texts = (await client.agents.messages.list(agent.id)).getPaginatedItems();
    expect(texts.some((m) => m.message_type === 'user_message' && m.content === 'Remind me to stretch')).toBe(
      true,
    );

    await expect(stranger.agents.schedule.retrieve(daily.id, { agent_id: agent.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(
      client.agents.schedule.create(agent.id, {
        messages: [{ role: 'user', content: 'x' }],
        schedule: { type: 'recurring', cron_expression: 'whenever' },
      }),
    ).rejects.toBeInstanceOf(UnprocessableEntityError);

    expect(await client.agents.schedule.delete(daily.id, { agent_id: agent.id })).toEqual({ success: true });
    expect((await client.agents.schedule.list(agent.id)).scheduled_messages.map((s) => s.id)).toEqual([
      once.id,
    ]);
  });
});
