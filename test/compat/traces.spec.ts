import Letta from '@letta-ai/letta-client';
import { Api, newTenant, useLlmApp } from '../support/app';

/** client.steps.trace and client.runs.trace against Engram. */
describe('compat: @letta-ai/letta-client step and run traces', () => {
  const ctx = useLlmApp('compat-trace', { fake: { defaultReply: { content: 'ok' } } });
  let client: Letta;
  beforeAll(() => {
    client = ctx.client();
  });

  it('reads a step’s provider trace and a run’s spans, and 404s for another organization', async () => {
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    ctx.fake.enqueue({ content: 'Traced reply' });
    const res = await client.agents.messages.create(agent.id, {
      messages: [{ role: 'user', content: 'trace me' }],
    });
    const runId = res.usage.run_ids![0];
    const steps: string[] = [];
    for await (const s of client.runs.steps.list(runId)) steps.push(s.id);
    expect(steps).toHaveLength(1);

    const trace = await client.steps.trace.retrieve(steps[0]);
    expect(trace).not.toBeNull();
    expect(trace!.step_id).toBe(steps[0]);
    expect(trace!.run_id).toBe(runId);
    expect(trace!.agent_id).toBe(agent.id);
    const messages = trace!.request_json.messages as Array<{ role: string; content: string }>;
    expect(messages.at(-1)).toEqual({ role: 'user', content: expect.stringContaining('trace me') });
    const choices = trace!.response_json.choices as Array<{ message: { content: string } }>;
    expect(choices[0].message.content).toBe('Traced reply');

    const spans = await client.runs.trace.retrieve(runId, { limit: 10 });
    expect(spans.map((s) => s.SpanName)).toEqual(['agent_run', 'time_to_first_token', 'agent_step']);
    expect((await client.runs.trace.retrieve(runId, { limit: 1 })).length).toBe(1);

    const other = await newTenant(new Api(ctx.t.baseUrl), 'compat-trace-other');
    const foreign = new Letta({
      baseURL: ctx.t.baseUrl,
      apiKey: 'x',
      maxRetries: 0,
      defaultHeaders: { user_id: other.userId },
    });
    await expect(foreign.steps.trace.retrieve(steps[0])).rejects.toMatchObject({ status: 404 });
    await expect(foreign.runs.trace.retrieve(runId)).rejects.toMatchObject({ status: 404 });
  });
});
