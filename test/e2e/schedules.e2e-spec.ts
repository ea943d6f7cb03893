import { firingRunId, SchedulesService } from '../../src/schedules/schedules.service';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { FakeOpenAiServer } from '../support/fake-openai';

const MODEL = 'openai/gpt-4o-mini';
const withPostgres = process.env.DATABASE_URL ? it : it.skip;

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduled messages (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  let other: Api & { orgId: string; userId: string };
  // With REDIS_URL only a worker takes jobs by default; this api process takes them itself.
  const env = () => ({
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: fake.baseUrl,
    ENGRAM_PROCESS_JOBS: 'true',
  });

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'Good morning!' } });
    t = await startTestApp(env());
    [api, other] = await Promise.all([
      newTenant(new Api(t.baseUrl), 'sched'),
      newTenant(new Api(t.baseUrl), 'sched-b'),
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const newAgent = async (as = api) => (await as.post('/v1/agents', { model: MODEL })).body as { id: string };
  const userTexts = async (as: Api, agentId: string) => {
    const r = await as.get(`/v1/agents/${agentId}/messages?limit=100&order=asc`);
    return (r.body as { message_type: string; content: unknown }[])
      .filter((m) => m.message_type === 'user_message')
      .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)));
  };
  const wake = (text: string) => [{ role: 'user', content: text }];

  it('sends a one-time message at its time, as an async run, and then has no next time', async () => {
    const agent = await newAgent();
    const at = Date.now() + 1500;
    const created = await api.post(`/v1/agents/${agent.id}/schedule`, {
      messages: wake('Wake up: stand-up in 5 minutes'),
      schedule: { type: 'one-time', scheduled_at: at },
      max_steps: 3,
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^scheduled_message-[0-9a-f-]{36}$/);
    expect(new Date(created.body.next_scheduled_at).getTime()).toBe(at);

    const before = await api.get(`/v1/agents/${agent.id}/schedule/${created.body.id}`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      id: created.body.id,
      agent_id: agent.id,
      message: { messages: wake('Wake up: stand-up in 5 minutes'), max_steps: 3 },
      schedule: { type: 'one-time', scheduled_at: at },
      next_scheduled_time: new Date(at).toISOString(),
      last_run_id: null,
    });
    expect(await userTexts(api, agent.id)).not.toContain('Wake up: stand-up in 5 minutes');

    const fired = await until(
      () => api.get(`/v1/agents/${agent.id}/schedule/${created.body.id}`),
      (r) => r.body.last_run_id !== null,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(at);
    expect(fired.body.next_scheduled_time).toBeNull();
    expect(fired.body.last_run_id).toBe(firingRunId(created.body.id, at));
    const run = await until(
      () => api.get(`/v1/runs/${fired.body.last_run_id}`),
      (r) => r.body.status === 'completed',
    );
    expect(run.body).toMatchObject({ agent_id: agent.id, status: 'completed', background: true });
    expect(await userTexts(api, agent.id)).toEqual(['Wake up: stand-up in 5 minutes']);
    const replies = (await api.get(`/v1/agents/${agent.id}/messages?limit=100`)).body as {
      message_type: string;
      content: string;
    }[];
    expect(replies.find((m) => m.message_type === 'assistant_message')?.content).toBe('Good morning!');
  });

  it('fires a recurring message on its cron expression until it is deleted', async () => {
    const agent = await newAgent();
    const created = await api.post(`/v1/agents/${agent.id}/schedule`, {
      messages: wake('tick'),
      schedule: { type: 'recurring', cron_expression: '*/2 * * * * *' },
    });
    expect(created.status).toBe(201);
    const next = new Date(created.body.next_scheduled_at).getTime();
    expect(next % 2000).toBe(0);
    expect(next).toBeGreaterThan(Date.now() - 100);

    const twice = await until(
      () => api.get(`/v1/agents/${agent.id}/schedule/${created.body.id}`),
      (r) => (r.body.last_fired_at ? new Date(r.body.last_fired_at).getTime() : 0) > next,
    );
    expect(twice.body.schedule).toEqual({ type: 'recurring', cron_expression: '*/2 * * * * *' });
    expect(new Date(twice.body.next_scheduled_time).getTime()).toBeGreaterThan(
      new Date(twice.body.last_fired_at).getTime(),
    );
    const del = await api.delete(`/v1/agents/${agent.id}/schedule/${created.body.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true });
    const ticks = (
      await until(
        () => userTexts(api, agent.id),
        (texts) => texts.length >= 2,
      )
    ).length;
    // Runs already queued finish; nothing fires after the delete.
    await sleep(4500);
    const after = await userTexts(api, agent.id);
    expect(after.every((x) => x === 'tick')).toBe(true);
    expect(after.length).toBeLessThanOrEqual(ticks + 1);
    expect((await api.get(`/v1/agents/${agent.id}/schedule/${created.body.id}`)).status).toBe(404);
  });

  it('delivers a firing handed over twice only once', async () => {
    const agent = await newAgent();
    const at = Date.now() + 1500;
    const created = await api.post(`/v1/agents/${agent.id}/schedule`, {
      messages: wake('only once'),
      schedule: { scheduled_at: at },
    });
    expect(created.status).toBe(201);
    // The queue delivers at least once: the same firing handed to the handler twice more, at
    // the moment the queue itself delivers it, still sends one message.
    const service = t.app.get(SchedulesService);
    await sleep(at - Date.now());
    const job = {
      id: 'dup',
      name: 'fire',
      attempt: 1,
      data: { organizationId: api.orgId, scheduleId: created.body.id, fireAt: at },
    };
    await Promise.allSettled([service.fire(job), service.fire(job)]);
    await service.fire({ ...job, attempt: 2 });
    const run = await until(
      () => api.get(`/v1/runs/${firingRunId(created.body.id, at)}`),
      (r) => r.body.status === 'completed',
    );
    expect(run.status).toBe(200);
    expect(await userTexts(api, agent.id)).toEqual(['only once']);
    const row = await api.get(`/v1/agents/${agent.id}/schedule/${created.body.id}`);
    expect(row.body.next_scheduled_time).toBeNull();
  });

  it('lists an agent’s scheduled messages in pages', async () => {
    const agent = await newAgent();
    const ids: string[] = [];
    for (const i of [1, 2, 3]) {
      const r = await api.post(`/v1/agents/${agent.id}/schedule`, {
        messages: wake(`later ${i}`),
        schedule: { type: 'one-time', scheduled_at: Date.now() + 3_600_000 * i },
      });
      ids.push(r.body.id);
    }
    const first = await api.get(`/v1/agents/${agent.id}/schedule?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.has_next_page).toBe(true);
    expect(first.body.scheduled_messages.map((s: { id: string }) => s.id)).toEqual(ids.slice(0, 2));
    const rest = await api.get(`/v1/agents/${agent.id}/schedule?limit=2&after=${ids[1]}`);
    expect(rest.body).toMatchObject({ has_next_page: false });
    expect(rest.body.scheduled_messages.map((s: { id: string }) => s.id)).toEqual([ids[2]]);
    // Another organization sees none of it.
    expect((await other.get(`/v1/agents/${agent.id}/schedule`)).status).toBe(404);
    expect((await other.get(`/v1/agents/${agent.id}/schedule/${ids[0]}`)).status).toBe(404);
    expect((await other.delete(`/v1/agents/${agent.id}/schedule/${ids[0]}`)).status).toBe(404);
    const mine = await newAgent(other);
    expect((await other.get(`/v1/agents/${mine.id}/schedule/${ids[0]}`)).status).toBe(404);
    expect((await api.get(`/v1/agents/${agent.id}/schedule`)).body.scheduled_messages).toHaveLength(3);
  });

  it('refuses bad input with a 422 naming the field, and stores nothing', async () => {
    const agent = await newAgent();
    const cases: [unknown, string][] = [
      [{ schedule: { scheduled_at: Date.now() + 1000 } }, 'messages'],
      [{ messages: [], schedule: { scheduled_at: Date.now() + 1000 } }, 'messages'],
      [
        { messages: [{ role: 'robot', content: 'x' }], schedule: { scheduled_at: Date.now() + 1000 } },
        'role',
      ],
      [{ messages: wake('x') }, 'schedule'],
      [{ messages: wake('x'), schedule: { scheduled_at: Date.now() - 3_600_000 } }, 'in the past'],
      [{ messages: wake('x'), schedule: { scheduled_at: 'tomorrow' } }, 'schedule.scheduled_at'],
      [{ messages: wake('x'), schedule: { type: 'weekly' } }, 'schedule.type'],
      [
        { messages: wake('x'), schedule: { type: 'recurring', cron_expression: 'every day' } },
        'cron_expression',
      ],
      [
        { messages: wake('x'), schedule: { type: 'recurring', cron_expression: '61 * * * *' } },
        'cron_expression',
      ],
      [
        {
          messages: wake('x'),
          schedule: { type: 'recurring', cron_expression: '* * * * *', scheduled_at: 1 },
        },
        'scheduled_at',
      ],
      [
        {
          messages: wake('x'),
          schedule: { scheduled_at: Date.now() + 1000 },
          callback_url: 'http://127.0.0.1:1/',
        },
        'callback_url',
      ],
      [{ messages: wake('x'), schedule: { scheduled_at: Date.now() + 1000 }, max_steps: 0 }, 'max_steps'],
      [{ messages: wake('x'), schedule: { scheduled_at: Date.now() + 1000 }, surprise: true }, 'surprise'],
    ];
    for (const [body, field] of cases) {
      const r = await api.post(`/v1/agents/${agent.id}/schedule`, body);
      expect([r.status, body]).toEqual([422, body]);
      expect(r.body.detail).toContain(field);
    }
    expect((await api.get(`/v1/agents/${agent.id}/schedule`)).body.scheduled_messages).toEqual([]);

    const ok = { messages: wake('x'), schedule: { scheduled_at: Date.now() + 60_000 } };
    const missing = 'agent-00000000-0000-4000-8000-000000000000';
    expect((await api.post(`/v1/agents/${missing}/schedule`, ok)).status).toBe(404);
    expect((await other.post(`/v1/agents/${agent.id}/schedule`, ok)).status).toBe(404);
    expect((await api.post(`/v1/agents/not-an-id/schedule`, ok)).status).toBe(422);
    expect((await api.get(`/v1/agents/${agent.id}/schedule/nope`)).status).toBe(422);
    expect(
      (
        await api.get(
          `/v1/agents/${agent.id}/schedule/scheduled_message-00000000-0000-4000-8000-000000000000`,
        )
      ).status,
    ).toBe(404);
    expect((await api.get(`/v1/agents/${agent.id}/schedule?limit=0`)).status).toBe(422);
  });
  withPostgres('a firing pending across a restart fires once, from the new process', async () => {
    const agent = await newAgent();
    const at = Date.now() + 2500;
    const created = await api.post(`/v1/agents/${agent.id}/schedule`, {
      messages: wake('after the restart'),
      schedule: { type: 'one-time', scheduled_at: at },
    });
    expect(created.status).toBe(201);
    await t.close();
    t = await startTestApp(env());
    const again = new Api(t.baseUrl).as(api.userId);
    const fired = await until(
      () => again.get(`/v1/agents/${agent.id}/schedule/${created.body.id}`),
      (r) => r.body.last_run_id !== null,
    );
    expect(fired.body.last_run_id).toBe(firingRunId(created.body.id, at));
    await until(
      () => again.get(`/v1/runs/${fired.body.last_run_id}`),
      (r) => r.body.status === 'completed',
    );
    await sleep(500);
    expect(await userTexts(again, agent.id)).toEqual(['after the restart']);
    api = Object.assign(again, { orgId: api.orgId, userId: api.userId });
    other = Object.assign(new Api(t.baseUrl).as(other.userId), { orgId: other.orgId, userId: other.userId });
  });
});
