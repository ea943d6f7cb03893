import { boundTrace } from './provider-trace';
import { runTraceSpans } from './run-trace';
import type { RunEntity, StepEntity } from './run.entity';

const bytes = (t: { request: string; response: string }) =>
  Buffer.byteLength(t.request) + Buffer.byteLength(t.response);

describe('boundTrace', () => {
  const small = {
    request: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
    response: { id: 'x' },
  };

  it('keeps a trace that fits as it is, and keeps none with a bound of 0', () => {
    expect(boundTrace(small, 1024)).toEqual({
      request: JSON.stringify(small.request),
      response: JSON.stringify(small.response),
      truncated: false,
    });
    expect(boundTrace(small, 0)).toBeNull();
  });

  it('cuts long strings until the whole fits, keeping the structure', () => {
    const trace = {
      request: {
        model: 'm',
        messages: [
          { role: 'system', content: 'S'.repeat(50_000) },
          { role: 'user', content: 'question' },
        ],
      },
      response: { choices: [{ message: { content: 'A'.repeat(20_000) } }] },
    };
    const b = boundTrace(trace, 8_000)!;
    expect(b.truncated).toBe(true);
    expect(bytes(b)).toBeLessThanOrEqual(8_000);
    const req = JSON.parse(b.request);
    expect(req.model).toBe('m');
    expect(req.messages[1]).toEqual({ role: 'user', content: 'question' });
    expect(req.messages[0].content).toMatch(/^S+…\[\d+ more characters\]$/);
    expect(JSON.parse(b.response).choices[0].message.content).toMatch(/^A+…\[\d+ more characters\]$/);
  });

  it('never leaves half a surrogate pair at a cut', () => {
    const trace = { request: { text: '😀'.repeat(10_000) }, response: {} };
    const b = boundTrace(trace, 4_000)!;
    const text = JSON.parse(b.request).text as string;
    expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('replaces a part that cannot fit even with short strings by a stub', () => {
    const trace = {
      request: { messages: Array.from({ length: 5_000 }, (_, i) => ({ role: 'user', content: `m${i}` })) },
      response: { id: 'r' },
    };
    const b = boundTrace(trace, 2_000)!;
    expect(bytes(b)).toBeLessThanOrEqual(2_000);
    expect(JSON.parse(b.request)).toEqual({
      _truncated: true,
      original_bytes: Buffer.byteLength(JSON.stringify(trace.request)),
    });
    expect(JSON.parse(b.response)).toEqual({ id: 'r' });
  });
});

describe('runTraceSpans', () => {
  const created = new Date('2026-12-03T10:00:00.000Z');
  const run = {
    id: 'run-11111111-2222-4333-8444-555555555555',
    agentId: 'agent-x',
    conversationId: null,
    status: 'completed',
    stopReason: 'end_turn',
    background: false,
    error: null,
    createdAt: created,
    completedAt: new Date(created.getTime() + 900),
    ttftNs: '300000000',
    totalDurationNs: '900000000',
  } as unknown as RunEntity;
  const step = (n: number, endMs: number, toolNs: number | null) =>
    ({
      id: `step-${String(n).repeat(8)}-0000-4000-8000-00000000000${n}`,
      agentId: 'agent-x',
      stepIndex: n,
      status: 'success',
      stopReason: null,
      model: 'gpt-4o-mini',
      modelHandle: 'openai/gpt-4o-mini',
      providerName: 'openai',
      promptTokens: 10,
      completionTokens: 2,
      totalTokens: 12,
      stepNs: '400000000',
      llmRequestNs: '250000000',
      toolExecutionNs: toolNs === null ? null : String(toolNs),
      createdAt: new Date(created.getTime() + endMs),
    }) as unknown as StepEntity;

  it('builds the root, TTFT, step and tool spans of a run, ordered by start', () => {
    const spans = runTraceSpans(run, [step(1, 450, 100_000_000), step(2, 880, 0)], 100);
    expect(spans.map((s) => s.SpanName)).toEqual([
      'agent_run',
      'time_to_first_token',
      'agent_step',
      'AgentLoop._execute_tool',
      'agent_step',
    ]);
    const traceId = '11111111222243338444555555555555';
    expect(spans.every((s) => s.TraceId === traceId)).toBe(true);
    const [root, ttft, step1, tool] = spans;
    expect(root).toMatchObject({
      ParentSpanId: '',
      Duration: 900_000_000,
      StatusCode: 'Ok',
      SpanKind: 'Server',
    });
    expect(ttft).toMatchObject({
      ParentSpanId: root.SpanId,
      Duration: 300_000_000,
      'Events.Name': ['time_to_first_token_ms'],
    });
    expect(step1).toMatchObject({
      ParentSpanId: root.SpanId,
      Timestamp: '2026-12-03T10:00:00.050Z',
      Duration: 400_000_000,
      'Events.Name': ['llm_request_ms', 'step_ms'],
      'Events.Attributes': [{ duration_ms: '250.000' }, { duration_ms: '400.000' }],
    });
    expect(step1.SpanAttributes).toMatchObject({
      step_id: 'step-11111111-0000-4000-8000-000000000001',
      prompt_tokens: '10',
    });
    expect(tool).toMatchObject({
      ParentSpanId: step1.SpanId,
      Timestamp: '2026-12-03T10:00:00.300Z',
      Duration: 100_000_000,
    });
    expect(runTraceSpans(run, [step(1, 450, 0)], 2).map((s) => s.SpanName)).toEqual([
      'agent_run',
      'time_to_first_token',
    ]);
  });
});
