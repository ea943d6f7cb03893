import Redis from 'ioredis';
import { CredentialsService } from '../../src/auth/credentials.service';
import { WsConnectionLimiter } from '../../src/auth/ws-connection-limiter';
import { Api, startTestApp, TestApp } from '../support/app';
import { ADMIN_KEY, bearer, tenantWithKeys, TenantWithKeys } from '../support/auth';

const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('rate limits, WebSocket caps, security headers and CORS (e2e)', () => {
  let t: TestApp;
  let admin: Api;
  let a: TenantWithKeys;

  beforeAll(async () => {
    t = await startTestApp({
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      ENGRAM_RATE_LIMIT_PER_MINUTE: '1000',
      ENGRAM_WS_MAX_CONNECTIONS_PER_KEY: '3',
      ENGRAM_CORS_ORIGINS: 'https://app.test',
    });
    admin = bearer(t.baseUrl, ADMIN_KEY);
    a = await tenantWithKeys(admin, 'limits');
  });
  afterAll(() => t.close());

  it('reports the default limit per credential on every response', async () => {
    const first = await a.as.member.get('/v1/agents');
    const second = await a.as.member.get('/v1/blocks');
    expect(first.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(Number(first.headers.get('x-ratelimit-remaining')) - 1).toBe(
      Number(second.headers.get('x-ratelimit-remaining')),
    );
    expect(Number(second.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
  });

  it('answers 429 with Retry-After and X-RateLimit-* past a key’s own limit, across routes', async () => {
    const k = await admin.post('/v1/admin/api-keys', {
      name: 'tight',
      organization_id: a.orgId,
      role: 'member',
      rate_limit_per_minute: 3,
    });
    const api = bearer(t.baseUrl, k.body.key);
    expect((await api.get('/v1/agents')).headers.get('x-ratelimit-limit')).toBe('3');
    expect((await api.get('/v1/blocks')).status).toBe(200);
    expect((await api.get('/v1/tools')).status).toBe(200);
    const limited = await api.get('/v1/agents');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      code: 'rate_limited',
      detail: expect.stringMatching(/3 requests per minute/),
    });
    const retry = Number(limited.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    // Another credential of the same organization is unaffected; health is never limited.
    expect((await a.as.member.get('/v1/agents')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await new Api(t.baseUrl).get('/v1/health')).status).toBe(200);
    if (process.env.REDIS_URL) {
      const redis = new Redis(process.env.REDIS_URL);
      const keys = await redis.keys(`${process.env.ENGRAM_REDIS_PREFIX}:ratelimit:*`);
      await redis.quit();
      expect(keys.length).toBeGreaterThan(0);
    }
  });

  it('caps WebSocket connections per credential (credentials from headers or ?token=)', async () => {
    const credentials = t.app.get(CredentialsService);
    const limiter = t.app.get(WsConnectionLimiter);
    const p = await credentials.authenticate({ token: a.keys.member.key });
    const same = await credentials.authenticate({ authorization: `Bearer ${a.keys.member.key}` });
    expect(same.credential).toEqual(p.credential);
    await expect(credentials.authenticate({ token: 'nope' })).rejects.toMatchObject({ status: 401 });
    const leases = [await limiter.acquire(p), await limiter.acquire(p), await limiter.acquire(same)];
    expect(leases.every(Boolean)).toBe(true);
    expect(await limiter.acquire(p)).toBeNull();
    const other = await credentials.authenticate({ token: a.keys.read_only.key });
    const otherLease = await limiter.acquire(other);
    expect(otherLease).not.toBeNull();
    await leases[0]!.release();
    await leases[0]!.release();
    const again = await limiter.acquire(p);
    expect(again).not.toBeNull();
    for (const l of [again, leases[1], leases[2], otherLease]) await l!.release();
    expect(limiter.heldBy(p)).toBe(0);
  });

  it('sends helmet’s security headers', async () => {
    const res = await new Api(t.baseUrl).get('/v1/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('allows only ENGRAM_CORS_ORIGINS, and exposes the rate-limit headers to them', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.baseUrl}/v1/agents`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const ok = await preflight('https://app.test');
    expect(ok.status).toBeLessThan(300);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.test');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    const evil = await preflight('https://evil.test');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const get = await a.as.member.request('GET', '/v1/agents', undefined, { origin: 'https://app.test' });
    expect(get.headers.get('access-control-allow-origin')).toBe('https://app.test');
    expect(get.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
  });
});

/**
 * Two API processes on one Postgres and one Redis: a key revoked on one is refused by the
 * other within moments (the principal cache is told over Redis), and the per-credential
 * counters (requests, WebSocket connections) are shared.
 */
(shared ? describe : describe.skip)('auth across two API processes (e2e)', () => {
  let one: TestApp;
  let two: TestApp;
  let a: TenantWithKeys;

  beforeAll(async () => {
    const env = { ENGRAM_ADMIN_KEY: ADMIN_KEY, ENGRAM_WS_MAX_CONNECTIONS_PER_KEY: '3' };
    [one, two] = await Promise.all([startTestApp(env), startTestApp(env)]);
    a = await tenantWithKeys(bearer(one.baseUrl, ADMIN_KEY), 'replicas');
  });
  afterAll(() => Promise.all([one.close(), two.close()]));

  it('refuses a key on the second process as soon as the first revokes it', async () => {
    const k = await a.as.org_admin.post('/v1/admin/api-keys', {
      name: 'r',
      organization_id: a.orgId,
      role: 'member',
    });
    const onTwo = bearer(two.baseUrl, k.body.key);
    expect((await onTwo.get('/v1/agents')).status).toBe(200); // now cached on the second process
    expect((await a.as.org_admin.delete(`/v1/admin/api-keys/${k.body.id}`)).status).toBe(200);
    const started = Date.now();
    const res = await until(
      () => onTwo.get('/v1/agents'),
      (r) => r.status === 401,
      5_000,
    );
    expect(res.status).toBe(401);
    // Well under the cache's 10 s lifetime: the revocation was pushed, not waited out.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('counts a key’s requests and WebSocket connections across processes', async () => {
    const k = await a.as.org_admin.post('/v1/admin/api-keys', {
      name: 'shared-limit',
      organization_id: a.orgId,
      role: 'member',
      rate_limit_per_minute: 4,
    });
    const [x, y] = [bearer(one.baseUrl, k.body.key), bearer(two.baseUrl, k.body.key)];
    for (const api of [x, y, x, y]) expect((await api.get('/v1/agents')).status).toBe(200);
    expect((await y.get('/v1/agents')).status).toBe(429);

    const p1 = await one.app.get(CredentialsService).authenticate({ token: a.keys.member.key });
    const p2 = await two.app.get(CredentialsService).authenticate({ token: a.keys.member.key });
    const [l1, l2] = [one.app.get(WsConnectionLimiter), two.app.get(WsConnectionLimiter)];
    const held = [await l1.acquire(p1), await l1.acquire(p1), await l2.acquire(p2)];
    expect(held.every(Boolean)).toBe(true);
    expect(await l2.acquire(p2)).toBeNull();
    await held[0]!.release();
    const next = await l2.acquire(p2);
    expect(next).not.toBeNull();
    for (const l of [next, held[1], held[2]]) await l!.release();
  });
});
