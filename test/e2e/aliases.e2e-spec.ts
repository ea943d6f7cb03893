import { Api, startTestApp, TestApp } from '../support/app';
import { ADMIN_KEY, bearer, tenantWithKeys, TenantWithKeys } from '../support/auth';

const MODEL = 'openai/gpt-4o-mini';

/** Letta's older dialects: `/api/...` for `/v1/...`, and `.../archival` for archival-memory. */
describe('path aliases (e2e, auth on)', () => {
  let t: TestApp;
  let a: TenantWithKeys;
  let b: TenantWithKeys;

  beforeAll(async () => {
    t = await startTestApp({ ENGRAM_ADMIN_KEY: ADMIN_KEY, ENGRAM_RATE_LIMIT_PER_MINUTE: '100000' });
    const admin = bearer(t.baseUrl, ADMIN_KEY);
    a = await tenantWithKeys(admin, 'alias-a');
    b = await tenantWithKeys(admin, 'alias-b');
  });
  afterAll(() => t.close());

  it('serves /api/... as /v1/..., with the same auth, roles and rate-limit headers', async () => {
    const anonymous = new Api(t.baseUrl);
    const denied = await anonymous.get('/api/agents');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect((await bearer(t.baseUrl, 'sk-engram-not-a-key').get('/api/agents')).status).toBe(401);

    const created = await a.as.member.post('/api/agents', { name: 'via-api', model: MODEL });
    expect(created.status).toBe(200);
    expect(created.body.id).toMatch(/^agent-/);
    const viaApi = await a.as.member.get('/api/agents/');
    expect(viaApi.status).toBe(200);
    expect(viaApi.headers.get('x-ratelimit-limit')).toBe('100000');
    expect(viaApi.body).toEqual((await a.as.member.get('/v1/agents')).body);
    expect((await a.as.member.get(`/api/agents/${created.body.id}`)).body.name).toBe('via-api');

    // The route's policy applies: read_only may read but not write through the alias.
    expect((await a.as.read_only.get('/api/agents')).status).toBe(200);
    expect((await a.as.read_only.post('/api/agents', { model: MODEL })).status).toBe(403);
    expect((await a.as.member.get('/api/admin/orgs')).status).toBe(403);
    // Another organization's agent is a 404 here too; unknown paths are 404 as under /v1.
    expect((await b.as.member.get(`/api/agents/${created.body.id}`)).status).toBe(404);
    expect((await a.as.member.get('/api/no-such-route')).status).toBe(404);
    // Open routes stay open.
    expect((await anonymous.get('/api/health')).status).toBe(200);

    // Metrics label the real route, never the alias.
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /engram_http_request_duration_seconds_count\{[^}]*route="\/v1\/agents\/:agent_id"/,
    );
    expect(metrics).not.toContain('route="/api');
  });

  it('serves /v1/agents/:id/archival (GET, POST) and .../archival/:passage_id (DELETE) as archival-memory', async () => {
    const api = a.as.member;
    const agent = (await api.post('/v1/agents', { model: MODEL })).body;
    const inserted = await api.post(`/v1/agents/${agent.id}/archival`, { text: 'The user likes green tea.' });
    expect(inserted.status).toBe(200);
    expect(inserted.body).toEqual([expect.objectContaining({ text: 'The user likes green tea.' })]);
    const passageId = inserted.body[0].id;
    const listed = await api.get(`/v1/agents/${agent.id}/archival?limit=10`);
    expect(listed.status).toBe(200);
    expect(listed.body.map((p: { id: string }) => p.id)).toEqual([passageId]);
    expect((await api.get(`/api/agents/${agent.id}/archival`)).body).toEqual(listed.body);
    expect((await api.post(`/v1/agents/${agent.id}/archival`, { txt: 'typo' })).status).toBe(422);

    // Auth and tenancy as on archival-memory.
    expect((await new Api(t.baseUrl).get(`/v1/agents/${agent.id}/archival`)).status).toBe(401);
    expect((await b.as.member.get(`/v1/agents/${agent.id}/archival`)).status).toBe(404);
    expect((await b.as.member.delete(`/v1/agents/${agent.id}/archival/${passageId}`)).status).toBe(404);
    expect((await a.as.read_only.delete(`/v1/agents/${agent.id}/archival/${passageId}`)).status).toBe(403);

    const deleted = await api.delete(`/v1/agents/${agent.id}/archival/${passageId}`);
    expect(deleted.status).toBe(200);
    expect((await api.get(`/v1/agents/${agent.id}/archival-memory`)).body).toEqual([]);
    expect((await api.delete(`/v1/agents/${agent.id}/archival/${passageId}`)).status).toBe(404);
  });
});
