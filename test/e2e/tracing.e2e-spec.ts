import { DataSource } from 'typeorm';
import { SqlSpans } from '../../src/observability/sql-spans';
import { tracingActive } from '../../src/observability/tracing';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { FakeOpenAiServer } from '../support/fake-openai';
import { OtlpReceiver, ReceivedSpan } from '../support/otlp-receiver';

const MODEL = 'openai/gpt-4o-mini';
const TOOL =
  'def trace_probe(x: int) -> int:\n    """Adds one.\n\n    Args:\n        x: a number\n    """\n    return x + 1\n';

describe('OpenTelemetry traces (e2e)', () => {
  describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
    let receiver: OtlpReceiver;
    let fake: FakeOpenAiServer;
    let t: TestApp | undefined;
    let api: Api & { orgId: string; userId: string };

    beforeAll(async () => {
      receiver = await OtlpReceiver.start();
      fake = await FakeOpenAiServer.start();
      t = await startTestApp({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OPENAI_API_KEY: 'test-key',
        OPENAI_BASE_URL: fake.baseUrl,
      });
      api = await newTenant(new Api(t.baseUrl), 'traced');
    });
    afterAll(async () => {
      await t?.close();
      await fake.close();
      await receiver.close();
    });

    it('exports a request span with its LLM call, tool call and SQL queries, under the x-request-id trace', async () => {
      const agent = await api.post('/v1/agents', {
        model: MODEL,
        memory_blocks: [{ label: 'human', value: 'Name: Sam' }],
      });
      expect(agent.status).toBe(200);
      const tool = await api.put('/v1/tools/', { source_code: TOOL });
      expect(tool.status).toBe(200);
      await api.patch(`/v1/agents/${agent.body.id}/tools/attach/${tool.body.id}`);

      fake.enqueue({ toolCalls: [{ name: 'trace_probe', arguments: { x: 41 } }] });
      fake.enqueue({ content: 'It is 42.', usage: { promptTokens: 30, completionTokens: 4 } });
      const sent = await api.post(`/v1/agents/${agent.body.id}/messages`, {
        messages: [{ role: 'user', content: 'add one to 41' }],
      });
      expect(sent.status).toBe(200);
      const tools = sent.body.messages.filter((m: any) => m.message_type === 'tool_return_message');
      expect(tools.map((m: any) => m.tool_return)).toEqual(['42']);
      const traceId = sent.headers.get('x-request-id')!;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);

      // A client's own x-request-id does not replace the trace id; `traceparent` joins a trace.
      const parent = '0af7651916cd43dd8448eb211c80319c';
      const joined = await api.request('GET', `/v1/agents/${agent.body.id}`, undefined, {
        'x-request-id': 'mine',
        traceparent: `00-${parent}-b7ad6b7169203331-01`,
      });
      expect(joined.headers.get('x-request-id')).toBe(parent);

      await t!.close(); // flushes the batch exporter
      t = undefined;

      const trace = receiver.spans.filter((s) => s.traceId === traceId);
      const byName = (pred: (s: ReceivedSpan) => boolean) => trace.filter(pred);
      const [request] = byName((s) => s.kind === 2);
      expect(request).toMatchObject({
        name: 'POST /v1/agents/:agent_id/messages',
        attributes: expect.objectContaining({
          'http.request.method': 'POST',
          'http.route': '/v1/agents/:agent_id/messages',
          'http.response.status_code': 200,
        }),
        service: 'engram-api',
      });
      expect(request.parentSpanId).toBeUndefined();

      const llm = byName((s) => s.name === 'chat gpt-4o-mini');
      expect(llm).toHaveLength(2);
      expect(llm[1].attributes).toMatchObject({
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 30,
        'gen_ai.usage.output_tokens': 4,
      });

      const toolSpans = byName((s) => s.name === 'tool trace_probe');
      expect(toolSpans).toHaveLength(1);
      expect(toolSpans[0].attributes).toMatchObject({
        'engram.tool.type': 'custom',
        'engram.tool.status': 'success',
      });

      const sql = byName((s) => s.attributes['db.system.name'] === 'postgresql');
      expect(sql.length).toBeGreaterThan(3);
      expect(sql.map((s) => s.attributes['db.operation.name'])).toEqual(
        expect.arrayContaining(['SELECT', 'INSERT']),
      );
      for (const s of sql) expect(String(s.attributes['db.query.text'])).not.toContain('add one to 41');

      // Every span of the request hangs under the request span.
      const ids = new Set(trace.map((s) => s.spanId));
      for (const s of [...llm, ...toolSpans, ...sql]) expect(ids.has(s.parentSpanId!)).toBe(true);

      const joinedSpan = receiver.spans.find((s) => s.traceId === parent && s.kind === 2);
      expect(joinedSpan).toMatchObject({
        name: 'GET /v1/agents/:agent_id',
        parentSpanId: 'b7ad6b7169203331',
      });
      expect(receiver.paths.every((p) => p === '/v1/traces')).toBe(true);
    });
  });

  describe('without an endpoint', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
      });
    });
    afterAll(() => t.close());

    it('registers nothing: no tracer, no query subscriber, request ids as before', async () => {
      expect(tracingActive()).toBe(false);
      expect(t.app.get(DataSource).subscribers.some((s) => s instanceof SqlSpans)).toBe(false);
      const res = await new Api(t.baseUrl).request('GET', '/v1/health', undefined, {
        'x-request-id': 'mine-1',
      });
      expect(res.headers.get('x-request-id')).toBe('mine-1');
    });
  });
});
