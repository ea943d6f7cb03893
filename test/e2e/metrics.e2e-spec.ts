import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { loadConfig } from '../../src/config/config';
import { MetricsEndpoint } from '../../src/observability/observability.module';
import { WorkerModule } from '../../src/worker.module';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { FakeOpenAiServer } from '../support/fake-openai';
import { families, sampleValue } from '../support/prometheus';

const MODEL = 'openai/gpt-4o-mini';
// Who may scrape does not depend on the database: those apps boot once, against real Postgres,
// to keep the embedded run (a PGlite start per app) short.
const withServers = process.env.DATABASE_URL ? describe : describe.skip;
const TOKEN = 'scrape-token-0123456789';

async function scrape(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('Prometheus metrics (e2e)', () => {
  describe('on the API port, open', () => {
    let fake: FakeOpenAiServer;
    let t: TestApp;
    let api: Api & { orgId: string; userId: string };

    beforeAll(async () => {
      fake = await FakeOpenAiServer.start();
      t = await startTestApp({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseUrl });
      api = await newTenant(new Api(t.baseUrl), 'metrics');
    });
    afterAll(async () => {
      await t.close();
      await fake.close();
    });

    it('declares every series family in Prometheus text format, without the /v1 prefix', async () => {
      const res = await scrape(`${t.baseUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(families(res.text)).toMatchObject({
        engram_http_request_duration_seconds: 'histogram',
        engram_runs_total: 'counter',
        engram_run_duration_seconds: 'histogram',
        engram_step_duration_seconds: 'histogram',
        engram_llm_tokens_total: 'counter',
        engram_llm_request_duration_seconds: 'histogram',
        engram_tool_execution_duration_seconds: 'histogram',
        engram_queue_jobs: 'gauge',
        engram_queue_job_duration_seconds: 'histogram',
        engram_active_stream_connections: 'gauge',
        engram_ws_dropped_connections_total: 'counter',
        engram_db_pool_connections_in_use: 'gauge',
        engram_db_pool_waiting_requests: 'gauge',
        engram_db_pool_max_connections: 'gauge',
        process_cpu_seconds_total: 'counter',
      });
      expect(sampleValue(res.text, 'engram_active_stream_connections', { transport: 'sse' })).toBe(0);
      expect(sampleValue(res.text, 'engram_active_stream_connections', { transport: 'websocket' })).toBe(0);
      for (const reason of ['slow_consumer', 'heartbeat'])
        expect(sampleValue(res.text, 'engram_ws_dropped_connections_total', { reason })).toBe(0);
      expect((await fetch(`${t.baseUrl}/v1/metrics`)).status).toBe(404);
    });

    it('times HTTP requests by route template and status, never by raw path', async () => {
      const before = (await scrape(`${t.baseUrl}/metrics`)).text;
      const created = await api.post('/v1/agents', { model: MODEL, include_base_tools: false });
      expect(created.status).toBe(200);
      const id = created.body.id as string;
      expect((await api.get(`/v1/agents/${id}`)).status).toBe(200);
      expect((await api.get(`/v1/agents/${id}`)).status).toBe(200);
      expect((await api.get('/v1/agents/agent-00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await api.get('/v1/no/such/route')).status).toBe(404);

      const { text } = await scrape(`${t.baseUrl}/metrics`);
      const count = (route: string, status: string) => {
        const labels = { method: 'GET', route, status_code: status };
        const name = 'engram_http_request_duration_seconds_count';
        return (sampleValue(text, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
      };
      expect(count('/v1/agents/:agent_id', '200')).toBe(2);
      expect(count('/v1/agents/:agent_id', '404')).toBe(1);
      expect(count('unmatched', '404')).toBe(1);
      expect(text).not.toContain(id);
    });

    it('counts LLM tokens by model and kind and times the request by provider after a message', async () => {
      const agent = await api.post('/v1/agents', {
        model: MODEL,
        memory_blocks: [{ label: 'human', value: 'Name: Sam' }],
      });
      fake.enqueue({ content: 'Hello!', usage: { promptTokens: 41, completionTokens: 6 } });
      const sent = await api.post(`/v1/agents/${agent.body.id}/messages`, {
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(sent.status).toBe(200);
      expect(sent.body.usage).toMatchObject({ prompt_tokens: 41, completion_tokens: 6 });

      const { text } = await scrape(`${t.baseUrl}/metrics`);
      const labels = { provider: 'openai', model: 'gpt-4o-mini' };
      expect(sampleValue(text, 'engram_llm_tokens_total', { ...labels, kind: 'prompt' })).toBe(41);
      expect(sampleValue(text, 'engram_llm_tokens_total', { ...labels, kind: 'completion' })).toBe(6);
      expect(
        sampleValue(text, 'engram_llm_request_duration_seconds_count', { provider: 'openai', outcome: 'ok' }),
      ).toBe(1);
      // The run and its one step, recorded by the executor once the step is committed.
      expect(sampleValue(text, 'engram_runs_total', { stop_reason: 'end_turn' })).toBe(1);
      expect(sampleValue(text, 'engram_run_duration_seconds_count', { stop_reason: 'end_turn' })).toBe(1);
      expect(sampleValue(text, 'engram_step_duration_seconds_count')).toBe(1);
      expect(sampleValue(text, 'engram_step_duration_seconds_sum')).toBeGreaterThan(0);
    });

    it('times tool calls by tool type and status', async () => {
      const agent = await api.post('/v1/agents', { model: MODEL, include_base_tools: false });
      const tool = await api.put('/v1/tools/', {
        source_code:
          'def metrics_probe(x: int) -> int:\n    """Divides 8 by x.\n\n    Args:\n        x: a number\n    """\n    return 8 // x\n',
      });
      expect(tool.status).toBe(200);
      await api.patch(`/v1/agents/${agent.body.id}/tools/attach/${tool.body.id}`);
      const ran = await api.post(`/v1/agents/${agent.body.id}/tools/metrics_probe/run`, { args: { x: 4 } });
      expect(ran.body).toMatchObject({ status: 'success', func_return: '2' });
      const failed = await api.post(`/v1/agents/${agent.body.id}/tools/metrics_probe/run`, {
        args: { x: 0 },
      });
      expect(failed.body.status).toBe('error');

      const { text } = await scrape(`${t.baseUrl}/metrics`);
      const count = (status: string) =>
        sampleValue(text, 'engram_tool_execution_duration_seconds_count', { tool_type: 'custom', status });
      expect(count('success')).toBe(1);
      expect(count('error')).toBe(1);
    });

    it('reports the database pool', async () => {
      const { text } = await scrape(`${t.baseUrl}/metrics`);
      const expected = process.env.DATABASE_URL ? loadConfig(process.env).database.poolSize : 1;
      expect(sampleValue(text, 'engram_db_pool_max_connections')).toBe(expected);
      const inUse = sampleValue(text, 'engram_db_pool_connections_in_use')!;
      expect(inUse).toBeGreaterThanOrEqual(0);
      expect(inUse).toBeLessThanOrEqual(expected);
      expect(sampleValue(text, 'engram_db_pool_waiting_requests')).toBe(0);
    });
  });

  withServers('on a separate port behind a bearer token', () => {
    let t: TestApp;
    let url: string;
    beforeAll(async () => {
      t = await startTestApp({ ENGRAM_METRICS_PORT: '0', ENGRAM_METRICS_TOKEN: TOKEN });
      url = `http://127.0.0.1:${t.app.get(MetricsEndpoint).port}`;
    });
    afterAll(() => t.close());

    it('serves /metrics only there, and only with the token', async () => {
      expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(404);
      const anonymous = await scrape(`${url}/metrics`);
      expect(anonymous.status).toBe(401);
      expect(JSON.parse(anonymous.text).detail).toContain('ENGRAM_METRICS_TOKEN');
      expect(
        (await scrape(`${url}/metrics`, { authorization: 'Bearer wrong-token-0123456789' })).status,
      ).toBe(401);
      const ok = await scrape(`${url}/metrics`, { authorization: `Bearer ${TOKEN}` });
      expect(ok.status).toBe(200);
      expect(families(ok.text).engram_runs_total).toBe('counter');
      expect((await scrape(`${url}/other`, { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    });
  });

  withServers('behind a bearer token on the API port', () => {
    let t: TestApp;
    beforeAll(async () => {
      // With API auth on too: scrapes use the metrics token, not an API credential.
      t = await startTestApp({ ENGRAM_METRICS_TOKEN: TOKEN, ENGRAM_ADMIN_KEY: 'admin-key-0123456789abcdef' });
    });
    afterAll(() => t.close());

    it('answers 401 with a detail without the token and 200 with it', async () => {
      const anonymous = await new Api(t.baseUrl).get('/metrics');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.detail).toContain('Authorization: Bearer');
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      const ok = await scrape(`${t.baseUrl}/metrics`, { authorization: `Bearer ${TOKEN}` });
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('engram_http_request_duration_seconds');
      expect((await new Api(t.baseUrl).get('/v1/agents')).status).toBe(401);
    });
  });

  withServers('switched off', () => {
    it('is not served with ENGRAM_METRICS_ENABLED=false', async () => {
      const t = await startTestApp({ ENGRAM_METRICS_ENABLED: 'false' });
      try {
        expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(404);
      } finally {
        await t.close();
      }
    });
  });

  it('serves the worker’s metrics on a port of its own', async () => {
    const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', ENGRAM_METRICS_PORT: '0' });
    let worker: INestApplicationContext | undefined;
    try {
      worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
      await worker.init();
      const port = worker.get(MetricsEndpoint).port;
      expect(port).toBeGreaterThan(0);
      const res = await scrape(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(families(res.text)).toMatchObject({
        engram_runs_total: 'counter',
        engram_queue_jobs: 'gauge',
        engram_db_pool_max_connections: 'gauge',
      });
    } finally {
      await worker?.close();
    }
  });
});
