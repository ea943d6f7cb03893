import { Api, startTestApp, TestApp } from '../support/app';
import { TcpProxy } from '../support/tcp-proxy';

const external = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Readiness reports a dependency that goes away after boot, and liveness keeps answering.
 * Postgres and Redis are reached through proxies the test can cut, so it needs the real
 * servers (the DATABASE_URL + REDIS_URL pass).
 */
(external ? describe : describe.skip)('readiness with a dependency down (e2e)', () => {
  let pg: TcpProxy;
  let redis: TcpProxy;
  let t: TestApp;
  let api: Api;

  beforeAll(async () => {
    const db = new URL(process.env.DATABASE_URL!);
    const rd = new URL(process.env.REDIS_URL!);
    pg = await TcpProxy.start(db.hostname, Number(db.port || 5432));
    redis = await TcpProxy.start(rd.hostname, Number(rd.port || 6379));
    t = await startTestApp({
      DATABASE_URL: pg.via(process.env.DATABASE_URL!),
      REDIS_URL: redis.via(process.env.REDIS_URL!),
    });
    api = new Api(t.baseUrl);
  });
  afterAll(async () => {
    await Promise.all([pg.restore(), redis.restore()]);
    await t.close();
    await Promise.all([pg.close(), redis.close()]);
  });

  it('is ready with both up', async () => {
    const ready = await api.get('/v1/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('answers 503 naming Redis while Redis is down, and recovers', async () => {
    await redis.cut();
    const down = await eventually(
      () => api.get('/v1/health/ready'),
      (r) => r.status === 503,
    );
    expect(down.status).toBe(503);
    expect(down.body.detail).toBe('Not ready: redis down');
    expect(down.body.error).toMatchObject({ redis: { status: 'down' } });
    expect(down.body.info).toMatchObject({ database: { status: 'up' } });
    expect((await api.get('/v1/health')).status).toBe(200);
    await redis.restore();
    const back = await eventually(
      () => api.get('/v1/health/ready'),
      (r) => r.status === 200,
    );
    expect(back.status).toBe(200);
  });

  it('answers 503 naming the database while Postgres is down, and recovers', async () => {
    await pg.cut();
    const down = await eventually(
      () => api.get('/v1/health/ready'),
      (r) => r.status === 503,
    );
    expect(down.status).toBe(503);
    expect(down.body.detail).toContain('database');
    expect(down.body.error).toMatchObject({ database: { status: 'down' } });
    expect((await api.get('/v1/health')).status).toBe(200);
    await pg.restore();
    const back = await eventually(
      () => api.get('/v1/health/ready'),
      (r) => r.status === 200,
    );
    expect(back.status).toBe(200);
  });
});
