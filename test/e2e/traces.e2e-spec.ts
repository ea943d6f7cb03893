import { DataSource } from 'typeorm';
import { Api, newTenant, useLlmApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';
const chatRequests = (ctx: { fake: { requests: Array<{ path: string; body: any }> } }) =>
  ctx.fake.requests.filter((r) => r.path.endsWith('/chat/completions'));

/** GET /v1/steps/:id/trace (the step's LLM request and response) and GET /v1/runs/:id/trace (spans). */
describe('provider traces and run traces (e2e)', () => {
  const ctx = useLlmApp('traces', { fake: { defaultReply: { content: 'ok' } } });
  beforeEach(() => ctx.fake.reset());

  async function send(agentId: string, body: Record<string, unknown>) {
    const res = await ctx.api.post(`/v1/agents/${agentId}/messages`, body);
    expect(res.status).toBe(200);
    return res.body;
  }

  it('stores each step’s LLM request and response as the provider saw them', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    ctx.fake.enqueue(
      { toolCalls: [{ name: 'archival_memory_search', arguments: { query: 'tea' } }] },
      { content: 'Final answer.' },
    );
    const res = await send(agent.id, { input: 'what tea do I like?' });
    const runId = res.usage.run_ids[0];
    const steps = (await ctx.api.get(`/v1/runs/${runId}/steps`)).body;
    expect(steps).toHaveLength(2);
    const sent = chatRequests(ctx);
    expect(sent).toHaveLength(2);

    const first = await ctx.api.get(`/v1/steps/${steps[0].id}/trace`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: expect.stringMatching(/^provider_trace-/),
      step_id: steps[0].id,
      run_id: runId,
      agent_id: agent.id,
      call_type: 'agent_step',
      org_id: ctx.api.orgId,
      user_id: ctx.api.userId,
      source: 'engram',
    });
    // The request body is the one the provider received, byte for byte in meaning.
    expect(first.body.request_json).toEqual(sent[0].body);
    expect(first.body.request_json.messages.at(-1)).toEqual({
      role: 'user',
      content: expect.stringContaining('what tea'),
    });
    expect(first.body.response_json.object).toBe('chat.completion');
    expect(first.body.response_json.choices[0].message.tool_calls[0].function.name).toBe(
      'archival_memory_search',
    );
    expect(typeof first.body.latency_ms).toBe('number');

    const second = (await ctx.api.get(`/v1/steps/${steps[1].id}/trace`)).body;
    expect(second.request_json).toEqual(sent[1].body);
    expect(second.response_json.choices[0].message.content).toBe('Final answer.');
    expect(second.response_json.usage.total_tokens).toBeGreaterThan(0);
  });

  it('stores a streamed call as the completion its chunks add up to', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    ctx.fake.enqueue({ content: 'Streamed in pieces.' });
    const res = await fetch(`${ctx.t.baseUrl}/v1/agents/${agent.id}/messages/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', user_id: ctx.api.userId },
      body: JSON.stringify({ input: 'hi', stream_tokens: true }),
    });
    await res.text();
    const [step] = (await ctx.api.get(`/v1/steps?agent_id=${agent.id}`)).body;
    const trace = (await ctx.api.get(`/v1/steps/${step.id}/trace`)).body;
    expect(trace.request_json).toEqual(chatRequests(ctx)[0].body);
    expect(trace.request_json.stream).toBe(true);
    expect(trace.response_json).toMatchObject({
      object: 'chat.completion',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Streamed in pieces.' }, finish_reason: 'stop' },
      ],
    });
  });

  it('answers a run’s spans: the run, time to first token, each step and its tools', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    ctx.fake.enqueue(
      { toolCalls: [{ name: 'archival_memory_search', arguments: { query: 'x' } }] },
      { content: 'done' },
    );
    const runId = (await send(agent.id, { input: 'go' })).usage.run_ids[0];
    const steps = (await ctx.api.get(`/v1/runs/${runId}/steps`)).body;
    const res = await ctx.api.get(`/v1/runs/${runId}/trace`);
    expect(res.status).toBe(200);
    const names = res.body.map((s: any) => s.SpanName);
    expect(names.filter((n: string) => n === 'agent_step')).toHaveLength(2);
    expect(names).toEqual(
      expect.arrayContaining(['agent_run', 'time_to_first_token', 'AgentLoop._execute_tool']),
    );
    const root = res.body.find((s: any) => s.ParentSpanId === '');
    expect(root).toMatchObject({
      SpanName: 'agent_run',
      StatusCode: 'Ok',
      TraceId: runId.slice(4).replace(/-/g, ''),
    });
    expect(res.body.every((s: any) => s.TraceId === root.TraceId)).toBe(true);
    const stepSpans = res.body.filter((s: any) => s.SpanName === 'agent_step');
    expect(stepSpans.map((s: any) => s.SpanAttributes.step_id)).toEqual(steps.map((s: any) => s.id));
    const tool = res.body.find((s: any) => s.SpanName === 'AgentLoop._execute_tool');
    expect(tool.ParentSpanId).toBe(stepSpans[0].SpanId);

    expect((await ctx.api.get(`/v1/runs/${runId}/trace?limit=2`)).body).toHaveLength(2);
    for (const bad of ['0', '5001', 'many']) {
      const r = await ctx.api.get(`/v1/runs/${runId}/trace?limit=${bad}`);
      expect(r.status).toBe(422);
      expect(r.body.detail).toMatch(/limit/);
    }
  });

  it('answers null for a step without a trace; 404 for unknown and other-tenant ids, 422 for malformed ones', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    const runId = (await send(agent.id, { input: 'hi' })).usage.run_ids[0];
    const [step] = (await ctx.api.get(`/v1/runs/${runId}/steps`)).body;

    const other = await newTenant(new Api(ctx.t.baseUrl), 'traces-other');
    for (const path of [`/v1/steps/${step.id}/trace`, `/v1/runs/${runId}/trace`]) {
      const r = await other.get(path);
      expect(r.status).toBe(404);
      expect(r.body.detail).toMatch(/not found/);
    }
    expect((await ctx.api.get('/v1/steps/step-00000000-0000-4000-8000-000000000000/trace')).status).toBe(404);
    expect((await ctx.api.get('/v1/runs/run-00000000-0000-4000-8000-000000000000/trace')).status).toBe(404);
    const malformed = await ctx.api.get('/v1/steps/nope/trace');
    expect(malformed.status).toBe(422);
    expect(malformed.body.detail).toBeDefined();

    // A step stored before traces were kept (or with ENGRAM_PROVIDER_TRACE_MAX_BYTES=0).
    const ds = ctx.t.app.get(DataSource);
    await ds.query('DELETE FROM provider_traces WHERE step_id = $1', [step.id]);
    const none = await ctx.api.get(`/v1/steps/${step.id}/trace`);
    expect(none.status).toBe(200);
    expect(none.body).toBeNull();
  });

  it('goes with its step when the agent is deleted', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    const runId = (await send(agent.id, { input: 'hi' })).usage.run_ids[0];
    const ds = ctx.t.app.get(DataSource);
    const count = async () =>
      Number((await ds.query('SELECT count(*) AS n FROM provider_traces WHERE run_id = $1', [runId]))[0].n);
    expect(await count()).toBe(1);
    expect((await ctx.api.delete(`/v1/agents/${agent.id}`)).status).toBe(200);
    expect(await count()).toBe(0);
  });
});

describe('provider traces within ENGRAM_PROVIDER_TRACE_MAX_BYTES (e2e)', () => {
  const ctx = useLlmApp('traces-bound', {
    fake: { defaultReply: { content: 'ok' } },
    env: { ENGRAM_PROVIDER_TRACE_MAX_BYTES: '6000' },
  });

  it('cuts the long strings of a trace past the bound and keeps it valid JSON', async () => {
    const agent = (await ctx.api.post('/v1/agents', { model: MODEL })).body;
    const long = 'word '.repeat(4_000);
    ctx.fake.enqueue({ content: 'R'.repeat(3_000) });
    const res = await ctx.api.post(`/v1/agents/${agent.id}/messages`, { input: long });
    expect(res.status).toBe(200);
    const [step] = (await ctx.api.get(`/v1/runs/${res.body.usage.run_ids[0]}/steps`)).body;
    const trace = (await ctx.api.get(`/v1/steps/${step.id}/trace`)).body;
    const size =
      Buffer.byteLength(JSON.stringify(trace.request_json)) +
      Buffer.byteLength(JSON.stringify(trace.response_json));
    // jsonb may re-space the stored text, never lengthen what was cut.
    expect(size).toBeLessThanOrEqual(6_000);
    expect(trace.request_json.model).toBe('gpt-4o-mini');
    expect(trace.request_json.messages.at(-1).content).toMatch(/…\[\d+ more characters\]$/);
    expect(trace.response_json.choices[0].message.content).toMatch(/^R+…\[\d+ more characters\]$/);
  });
});
