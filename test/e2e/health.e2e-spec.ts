import { Api, startTestApp, TestApp } from '../support/app';

describe('health, docs and errors (e2e)', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp();
    api = new Api(t.baseUrl);
  });
  afterAll(() => t.close());

  it('answers liveness in Letta’s shape and readiness with the database checked', async () => {
    const live = await api.get('/v1/health/');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const ready = await api.get('/v1/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.info.database.status).toBe('up');
  });

  it('serves the OpenAPI document generated from the DTOs', async () => {
    const doc = await api.get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/agents', '/v1/agents/{agent_id}', '/v1/blocks', '/v1/tags']),
    );
    const docs = await fetch(`${t.baseUrl}/docs`);
    expect(docs.status).toBe(200);
  });

  it('writes unknown routes as a Letta error body with a trace id echoed in x-request-id', async () => {
    const res = await api.request('GET', '/v1/nothing-here', undefined, { 'x-request-id': 'trace-123' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ detail: expect.any(String), trace_id: 'trace-123' });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
  });
});
