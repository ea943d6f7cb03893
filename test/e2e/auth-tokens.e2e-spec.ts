import Letta from '@letta-ai/letta-client';
import { CryptoKey, exportJWK, exportSPKI, generateKeyPair, GenerateKeyPairResult, SignJWT } from 'jose';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Api, startTestApp, TestApp } from '../support/app';
import { ADMIN_KEY, bearer, tenantWithKeys, TenantWithKeys } from '../support/auth';

const MODEL = 'openai/gpt-4o-mini';

describe('client-side access tokens (e2e)', () => {
  let t: TestApp;
  let a: TenantWithKeys;
  let b: TenantWithKeys;
  let client: Letta;
  let x: string;
  let y: string;
  let z: string;

  beforeAll(async () => {
    t = await startTestApp({ ENGRAM_ADMIN_KEY: ADMIN_KEY });
    const admin = bearer(t.baseUrl, ADMIN_KEY);
    a = await tenantWithKeys(admin, 'tok-a');
    b = await tenantWithKeys(admin, 'tok-b');
    client = new Letta({ baseURL: t.baseUrl, apiKey: a.keys.member.key });
    x = (await a.as.member.post('/v1/agents', { name: 'x', model: MODEL })).body.id;
    y = (await a.as.member.post('/v1/agents', { name: 'y', model: MODEL })).body.id;
    z = (await b.as.member.post('/v1/agents', { name: 'z', model: MODEL })).body.id;
  });
  afterAll(() => t.close());

  const token = async (access: string[], extra: Record<string, unknown> = {}) =>
    (
      await client.accessTokens.create({
        hostname: 'https://app.test',
        policy: [{ type: 'agent', id: x, access: access as never }],
        ...extra,
      })
    ).token;

  it('creates, lists and deletes tokens through the official client, in Letta’s shapes', async () => {
    const before = Date.now();
    const created = await client.accessTokens.create({
      hostname: 'https://app.test',
      policy: [{ type: 'agent', id: x, access: ['read_messages', 'write_messages'] }],
    });
    expect(created).toEqual({
      token: expect.stringMatching(/^ck-engram-/),
      expiresAt: expect.any(String),
      hostname: 'https://app.test',
      policy: { version: '1', data: [{ type: 'agent', id: x, access: ['read_messages', 'write_messages'] }] },
    });
    const ttl = Date.parse(created.expiresAt) - before;
    expect(ttl).toBeGreaterThan(4 * 60_000);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000 + 5_000);

    const other = await client.accessTokens.create({
      hostname: 'https://app.test',
      policy: [{ type: 'agent', id: y, access: ['read_agent'] }],
    });
    const all = await client.accessTokens.list();
    expect(all.tokens.map((tk) => tk.token)).toEqual(expect.arrayContaining([created.token, other.token]));
    const forX = await client.accessTokens.list({ agentId: x });
    expect(forX.tokens.map((tk) => tk.token)).toContain(created.token);
    expect(forX.tokens.map((tk) => tk.token)).not.toContain(other.token);
    const page = await client.accessTokens.list({ limit: 1 });
    expect(page.tokens).toHaveLength(1);
    expect(page.hasNextPage).toBe(true);
    // another organization sees none of them
    const fromB = await new Letta({ baseURL: t.baseUrl, apiKey: b.keys.member.key }).accessTokens.list();
    expect(fromB.tokens.map((tk) => tk.token)).not.toContain(created.token);
    expect((await b.as.member.delete(`/v1/client-side-access-tokens/${created.token}`)).status).toBe(404);

    expect((await bearer(t.baseUrl, created.token).get(`/v1/agents/${x}/messages`)).status).toBe(200);
    await client.accessTokens.delete(created.token);
    const after = await bearer(t.baseUrl, created.token).get(`/v1/agents/${x}/messages`);
    expect(after.status).toBe(401);
    expect((await client.accessTokens.list()).tokens.map((tk) => tk.token)).not.toContain(created.token);
    expect((await a.as.member.delete(`/v1/client-side-access-tokens/${created.token}`)).status).toBe(404);
  });

  it('touches only its agents, with only the listed access', async () => {
    const readMessages = bearer(t.baseUrl, await token(['read_messages']));
    expect((await readMessages.get(`/v1/agents/${x}/messages`)).status).toBe(200);
    expect((await readMessages.post(`/v1/agents/${x}/messages/cancel`, {})).status).toBe(403);
    expect((await readMessages.get(`/v1/agents/${x}`)).status).toBe(403);
    expect((await readMessages.get(`/v1/agents/${y}/messages`)).status).toBe(404);
    expect((await readMessages.get(`/v1/agents/${z}/messages`)).status).toBe(404);
    for (const path of ['/v1/agents', '/v1/blocks', '/v1/tools', '/v1/runs', '/v1/client-side-access-tokens'])
      expect((await readMessages.get(path)).status).toBe(403);
    expect((await readMessages.post('/v1/passages/search', { query: 'x' })).status).toBe(403);

    const writeMessages = bearer(t.baseUrl, await token(['write_messages']));
    expect((await writeMessages.post(`/v1/agents/${x}/messages/cancel`, {})).status).toBe(200);
    expect((await writeMessages.get(`/v1/agents/${x}/messages`)).status).toBe(403);

    const agentRights = bearer(t.baseUrl, await token(['read_agent', 'write_agent']));
    expect((await agentRights.get(`/v1/agents/${x}`)).body.id).toBe(x);
    expect((await agentRights.get(`/v1/agents/${x}/core-memory/blocks`)).status).toBe(200);
    expect((await agentRights.patch(`/v1/agents/${x}`, { description: 'by token' })).body.description).toBe(
      'by token',
    );
    expect((await agentRights.get(`/v1/agents/${x}/messages`)).status).toBe(403);
    expect((await agentRights.delete(`/v1/agents/${y}`)).status).toBe(404);
    expect((await a.as.member.get(`/v1/agents/${y}`)).status).toBe(200);
  });

  it('refuses requests from another origin than its hostname', async () => {
    const tk = await token(['read_agent']);
    expect((await bearer(t.baseUrl, tk, { origin: 'https://app.test' }).get(`/v1/agents/${x}`)).status).toBe(
      200,
    );
    const evil = await bearer(t.baseUrl, tk, { origin: 'https://evil.test' }).get(`/v1/agents/${x}`);
    expect(evil.status).toBe(403);
    expect(evil.body.detail).toMatch(/app\.test/);
  });

  it('expires', async () => {
    const tk = await token(['read_agent'], { expires_at: new Date(Date.now() + 1500).toISOString() });
    expect((await bearer(t.baseUrl, tk).get(`/v1/agents/${x}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1800));
    const res = await bearer(t.baseUrl, tk).get(`/v1/agents/${x}`);
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/expired/);
  });

  it('refuses bad input with a 4xx naming the field, and creates nothing', async () => {
    const count = async () =>
      (await a.as.member.get('/v1/client-side-access-tokens?limit=100')).body.tokens.length;
    const before = await count();
    const grant = { type: 'agent', id: x, access: ['read_agent'] };
    for (const [body, status, detail] of [
      [{ hostname: 'app.test', policy: [grant] }, 422, /hostname/],
      [{ hostname: 'ftp://app.test', policy: [grant] }, 422, /hostname/],
      [{ hostname: 'https://app.test', policy: [] }, 422, /policy/],
      [{ hostname: 'https://app.test', policy: [{ ...grant, access: ['admin'] }] }, 422, /access/],
      [{ hostname: 'https://app.test', policy: [{ ...grant, access: [] }] }, 422, /access/],
      [{ hostname: 'https://app.test', policy: [{ ...grant, type: 'folder' }] }, 422, /type/],
      [{ hostname: 'https://app.test', policy: [{ ...grant, id: 'nope' }] }, 422, /agent id/],
      [{ hostname: 'https://app.test', policy: [{ ...grant, id: z }] }, 404, /Agent/],
      [
        { hostname: 'https://app.test', policy: [grant], expires_at: '2001-01-01T00:00:00Z' },
        422,
        /expires_at/,
      ],
      [{ hostname: 'https://app.test', policy: [grant], scope: 'all' }, 422, /scope/],
    ] as const) {
      const res = await a.as.member.post('/v1/client-side-access-tokens', body);
      expect({ status: res.status, body }).toEqual({ status, body });
      expect(res.body.detail).toMatch(detail);
    }
    expect(await count()).toBe(before);
    expect((await a.as.member.get('/v1/client-side-access-tokens?limit=0')).status).toBe(422);
  });
});

/** A JWKS endpoint on 127.0.0.1 serving whatever keys the test puts in `keys`. */
async function jwksServer(): Promise<{
  url: string;
  keys: object[];
  hits: () => number;
  close(): Promise<void>;
}> {
  const keys: object[] = [];
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    keys,
    hits: () => hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('JWT verified with a JWKS URL (RS256, local JWKS server)', () => {
  let t: TestApp;
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  let orgId: string;
  let key: GenerateKeyPairResult;

  beforeAll(async () => {
    jwks = await jwksServer();
    key = await generateKeyPair('RS256', { extractable: true });
    jwks.keys.push({ ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' });
    t = await startTestApp({ ENGRAM_ADMIN_KEY: ADMIN_KEY, ENGRAM_JWT_JWKS_URL: jwks.url });
    orgId = (await bearer(t.baseUrl, ADMIN_KEY).post('/v1/admin/orgs', { name: 'jwks' })).body.id;
  });
  afterAll(async () => {
    await t.close();
    await jwks.close();
  });

  const sign = (privateKey: CryptoKey, kid: string, alg = 'RS256', claims: Record<string, unknown> = {}) =>
    new SignJWT({ sub: 'erin', org_id: orgId, ...claims })
      .setProtectedHeader({ alg, kid })
      .setExpirationTime('5m')
      .sign(privateKey);

  it('accepts a token signed by a key of the JWKS', async () => {
    const res = await bearer(t.baseUrl, await sign(key.privateKey, 'k1')).get('/v1/agents');
    expect(res.status).toBe(200);
    expect(jwks.hits()).toBeGreaterThan(0);
  });

  it('refuses another key under a known kid, an unknown kid, and an HS256 token', async () => {
    const other = await generateKeyPair('RS256', { extractable: true });
    expect((await bearer(t.baseUrl, await sign(other.privateKey, 'k1')).get('/v1/agents')).status).toBe(401);
    expect((await bearer(t.baseUrl, await sign(other.privateKey, 'k2')).get('/v1/agents')).status).toBe(401);
    const hs = await new SignJWT({ sub: 'erin', org_id: orgId })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(40)));
    expect((await bearer(t.baseUrl, hs).get('/v1/agents')).status).toBe(401);
  });
});

describe('JWT verified with a PEM public key (ES256)', () => {
  let t: TestApp;
  let key: GenerateKeyPairResult;
  let orgId: string;

  beforeAll(async () => {
    key = await generateKeyPair('ES256', { extractable: true });
    // As it would sit in an .env file: one line, with \n escapes.
    const pem = (await exportSPKI(key.publicKey)).trim().replace(/\n/g, '\\n');
    t = await startTestApp({ ENGRAM_ADMIN_KEY: ADMIN_KEY, ENGRAM_JWT_PUBLIC_KEY: pem });
    orgId = (await bearer(t.baseUrl, ADMIN_KEY).post('/v1/admin/orgs', { name: 'pem' })).body.id;
  });
  afterAll(() => t.close());

  it('accepts a token signed with the matching private key, refuses others', async () => {
    const ok = await new SignJWT({ sub: 'frank', org_id: orgId, role: 'read_only' })
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime('5m')
      .sign(key.privateKey);
    const api = bearer(t.baseUrl, ok);
    expect((await api.get('/v1/agents')).status).toBe(200);
    expect((await api.post('/v1/blocks', { label: 'l', value: 'v' })).status).toBe(403);
    const other = await generateKeyPair('ES256');
    const bad = await new SignJWT({ sub: 'frank', org_id: orgId })
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime('5m')
      .sign(other.privateKey);
    const res = await new Api(t.baseUrl, { authorization: `Bearer ${bad}` }).get('/v1/agents');
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/signature/);
  });
});
