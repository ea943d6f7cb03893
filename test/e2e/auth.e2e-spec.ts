import { SignJWT } from 'jose';
import { Api, startTestApp, TestApp } from '../support/app';
import { ADMIN_KEY, bearer, tenantWithKeys, TenantWithKeys } from '../support/auth';

const JWT_SECRET = 'jwt-secret-for-tests-0123456789abcdef';
const ISSUER = 'https://idp.test';
const AUDIENCE = 'engram-tests';

async function jwt(
  claims: Record<string, unknown>,
  opts: { secret?: string; exp?: string | number; iss?: string; aud?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setExpirationTime(opts.exp ?? '5m')
    .sign(new TextEncoder().encode(opts.secret ?? JWT_SECRET));
}

describe('auth: credentials, roles and the user_id header (e2e)', () => {
  let t: TestApp;
  let admin: Api;
  let anon: Api;
  let a: TenantWithKeys;
  let b: TenantWithKeys;

  beforeAll(async () => {
    t = await startTestApp({
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      ENGRAM_JWT_SECRET: JWT_SECRET,
      ENGRAM_JWT_ISSUER: ISSUER,
      ENGRAM_JWT_AUDIENCE: AUDIENCE,
    });
    admin = bearer(t.baseUrl, ADMIN_KEY);
    anon = new Api(t.baseUrl);
    a = await tenantWithKeys(admin, 'auth-a');
    b = await tenantWithKeys(admin, 'auth-b');
  });
  afterAll(() => t.close());

  describe('401: missing, malformed, unknown, expired or revoked credentials', () => {
    it.each([
      ['no Authorization header', {}],
      ['a Basic header', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['an empty Bearer', { authorization: 'Bearer ' }],
      ['an unknown word', { authorization: 'Bearer nope' }],
      ['a well-formed unknown API key', { authorization: `Bearer sk-engram-0123456789ab_${'A'.repeat(43)}` }],
      ['an unknown access token', { authorization: `Bearer ck-engram-${'B'.repeat(43)}` }],
      ['the admin key with a typo', { authorization: `Bearer ${ADMIN_KEY}x` }],
    ])('%s', async (_, headers) => {
      const res = await anon.request('GET', '/v1/agents', undefined, headers as Record<string, string>);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'unauthorized', detail: expect.any(String) });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('a revoked key (and it is gone from the list)', async () => {
      const k = await a.as.org_admin.post('/v1/admin/api-keys', {
        name: 'short',
        organization_id: a.orgId,
        role: 'member',
      });
      expect(k.status).toBe(200);
      const api = bearer(t.baseUrl, k.body.key);
      expect((await api.get('/v1/agents')).status).toBe(200);
      const del = await a.as.org_admin.delete(`/v1/admin/api-keys/${k.body.id}`);
      expect(del.status).toBe(200);
      expect(del.body).toMatchObject({ id: k.body.id, name: 'short' });
      expect(del.body.key).toBeUndefined();
      const after = await api.get('/v1/agents');
      expect(after.status).toBe(401);
      expect(after.body.detail).toMatch(/revoked/);
      const list = await a.as.org_admin.get(`/v1/admin/api-keys?organization_id=${a.orgId}`);
      expect(list.body.map((x: any) => x.id)).not.toContain(k.body.id);
      expect((await a.as.org_admin.delete(`/v1/admin/api-keys/${k.body.id}`)).status).toBe(404);
    });

    it('an expired key', async () => {
      const expiresAt = new Date(Date.now() + 1500).toISOString();
      const k = await admin.post('/v1/admin/api-keys', {
        name: 'expiring',
        organization_id: a.orgId,
        role: 'member',
        expires_at: expiresAt,
      });
      expect(k.status).toBe(200);
      expect(k.body.expires_at).toBe(expiresAt);
      const api = bearer(t.baseUrl, k.body.key);
      expect((await api.get('/v1/agents')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1800));
      const res = await api.get('/v1/agents');
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/expired/);
    });

    it('public routes need nothing: health, docs, OpenAPI', async () => {
      expect((await anon.get('/v1/health')).status).toBe(200);
      expect((await anon.get('/v1/health/ready')).status).toBe(200);
      expect((await anon.get('/openapi.json')).status).toBe(200);
      expect((await anon.get('/docs')).status).toBe(200);
    });

    it('OpenAPI declares bearer security on routes', async () => {
      const doc = (await anon.get('/openapi.json')).body;
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.paths['/v1/agents'].get.security).toEqual([{ bearer: [] }]);
      expect(doc.paths['/v1/admin/api-keys'].post.security).toEqual([{ bearer: [] }]);
    });
  });

  describe('API keys', () => {
    it('creates a key whose secret appears only in the creation response', async () => {
      const res = await a.as.org_admin.post('/v1/admin/api-keys', {
        name: 'ci',
        organization_id: a.orgId,
        user_id: a.userId,
        role: 'read_only',
        rate_limit_per_minute: 120,
      });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual([
        'id',
        'key',
        'prefix',
        'name',
        'organization_id',
        'user_id',
        'role',
        'expires_at',
        'rate_limit_per_minute',
        'created_at',
      ]);
      expect(res.body).toMatchObject({
        id: expect.stringMatching(/^apikey-/),
        key: expect.stringMatching(/^sk-engram-[0-9a-f]{12}_/),
        name: 'ci',
        organization_id: a.orgId,
        user_id: a.userId,
        role: 'read_only',
        expires_at: null,
        rate_limit_per_minute: 120,
      });
      expect(res.body.key.startsWith(res.body.prefix)).toBe(true);
      await bearer(t.baseUrl, res.body.key).get('/v1/agents');
      let listed: any;
      for (let i = 0; i < 50 && !listed?.last_used_at; i++) {
        const list = await a.as.org_admin.get(`/v1/admin/api-keys?organization_id=${a.orgId}`);
        expect(list.status).toBe(200);
        listed = list.body.find((k: any) => k.id === res.body.id);
        if (!listed.last_used_at) await new Promise((r) => setTimeout(r, 50));
      }
      expect(listed).toMatchObject({
        id: res.body.id,
        prefix: res.body.prefix,
        last_used_at: expect.any(String),
      });
      expect(listed.key).toBeUndefined();
      expect(JSON.stringify(listed)).not.toContain(res.body.key);
    });

    it('refuses bad input with a 422 naming the field, and creates nothing', async () => {
      const before = (await admin.get(`/v1/admin/api-keys?organization_id=${a.orgId}&limit=1000`)).body
        .length;
      for (const [body, field] of [
        [{ organization_id: a.orgId, role: 'member' }, /name/],
        [{ name: 'x', organization_id: a.orgId, role: 'owner' }, /role/],
        [{ name: 'x', organization_id: 'org-nope', role: 'member' }, /org id/],
        [{ name: 'x', organization_id: a.orgId, role: 'member', expires_at: 'tomorrow' }, /expires_at/],
        [
          { name: 'x', organization_id: a.orgId, role: 'member', expires_at: '2001-01-01T00:00:00Z' },
          /expires_at/,
        ],
        [
          { name: 'x', organization_id: a.orgId, role: 'member', rate_limit_per_minute: 0 },
          /rate_limit_per_minute/,
        ],
        [{ name: 'x', organization_id: a.orgId, role: 'member', scopes: ['all'] }, /scopes/],
      ] as const) {
        const res = await admin.post('/v1/admin/api-keys', body);
        expect(res.status).toBe(422);
        expect(res.body.detail).toMatch(field);
      }
      expect((await admin.get(`/v1/admin/api-keys?organization_id=${a.orgId}&limit=1000`)).body).toHaveLength(
        before,
      );
    });

    it('an org_admin manages only its own organization, never above its own role', async () => {
      const oa = a.as.org_admin;
      expect(
        (await oa.post('/v1/admin/api-keys', { name: 'x', organization_id: a.orgId, role: 'admin' })).status,
      ).toBe(403);
      expect(
        (await oa.post('/v1/admin/api-keys', { name: 'x', organization_id: a.orgId, role: 'org_admin' }))
          .status,
      ).toBe(200);
      expect(
        (await oa.post('/v1/admin/api-keys', { name: 'x', organization_id: b.orgId, role: 'member' })).status,
      ).toBe(404);
      const foreignUser = await oa.post('/v1/admin/api-keys', {
        name: 'x',
        organization_id: a.orgId,
        user_id: b.userId,
        role: 'member',
      });
      expect(foreignUser.status).toBe(404);
      expect(await oa.get(`/v1/admin/api-keys?organization_id=${b.orgId}`)).toMatchObject({
        status: 200,
        body: [],
      });
      const mine = (await oa.get('/v1/admin/api-keys')).body;
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((k: any) => k.organization_id === a.orgId)).toBe(true);
      expect((await oa.delete(`/v1/admin/api-keys/${b.keys.member.id}`)).status).toBe(404);
      expect((await bearer(t.baseUrl, b.keys.member.key).get('/v1/agents')).status).toBe(200);
      // users and organization settings
      expect((await oa.get(`/v1/admin/users?org_id=${b.orgId}`)).body).toEqual([]);
      expect((await oa.get('/v1/admin/users')).body.map((u: any) => u.organization_id)).toEqual([a.orgId]);
      expect((await oa.post('/v1/admin/users', { name: 'n', organization_id: b.orgId })).status).toBe(404);
      const u = await oa.post('/v1/admin/users', { name: 'new-a-user' });
      expect(u.body.organization_id).toBe(a.orgId);
      expect((await oa.delete(`/v1/admin/users?user_id=${b.userId}`)).status).toBe(404);
      expect((await oa.delete(`/v1/admin/users?user_id=${u.body.id}`)).status).toBe(200);
      expect((await oa.get('/v1/admin/orgs')).body.map((o: any) => o.id)).toEqual([a.orgId]);
      expect((await oa.patch(`/v1/admin/orgs?org_id=${a.orgId}`, { name: 'renamed' })).body.name).toBe(
        'renamed',
      );
      expect((await oa.patch(`/v1/admin/orgs?org_id=${b.orgId}`, { name: 'x' })).status).toBe(404);
      expect((await oa.patch(`/v1/admin/orgs?org_id=${a.orgId}`, { privileged_tools: true })).status).toBe(
        403,
      );
      expect((await oa.post('/v1/admin/orgs', { name: 'nope' })).status).toBe(403);
      expect((await oa.delete(`/v1/admin/orgs?org_id=${a.orgId}`)).status).toBe(403);
    });
  });

  describe('the 401/403 matrix', () => {
    /** Expected status per credential for each call; 2xx written as 200. */
    const cases: Array<[string, string, unknown, Record<string, number>]> = [
      [
        'GET',
        '/v1/agents',
        undefined,
        { admin: 200, org_admin: 200, member: 200, read_only: 200, jwt_member: 200, jwt_read_only: 200 },
      ],
      [
        'POST',
        '/v1/blocks',
        { label: 'm', value: 'v' },
        { admin: 200, org_admin: 200, member: 200, read_only: 403, jwt_member: 200, jwt_read_only: 403 },
      ],
      [
        'POST',
        '/v1/tools/search',
        { query: 'x' },
        { admin: 200, org_admin: 200, member: 200, read_only: 200, jwt_member: 200, jwt_read_only: 200 },
      ],
      [
        'POST',
        '/v1/passages/search',
        { query: 'x' },
        { admin: 200, org_admin: 200, member: 200, read_only: 200, jwt_member: 200, jwt_read_only: 200 },
      ],
      [
        'GET',
        '/v1/models',
        undefined,
        { admin: 200, org_admin: 200, member: 200, read_only: 200, jwt_member: 200, jwt_read_only: 200 },
      ],
      [
        'GET',
        '/v1/admin/users',
        undefined,
        { admin: 200, org_admin: 200, member: 403, read_only: 403, jwt_member: 403, jwt_read_only: 403 },
      ],
      [
        'GET',
        '/v1/admin/api-keys',
        undefined,
        { admin: 200, org_admin: 200, member: 403, read_only: 403, jwt_member: 403, jwt_read_only: 403 },
      ],
      [
        'GET',
        '/v1/admin/orgs',
        undefined,
        { admin: 200, org_admin: 200, member: 403, read_only: 403, jwt_member: 403, jwt_read_only: 403 },
      ],
      [
        'POST',
        '/v1/admin/orgs',
        { name: 'm' },
        { admin: 200, org_admin: 403, member: 403, read_only: 403, jwt_member: 403, jwt_read_only: 403 },
      ],
      [
        'POST',
        '/v1/client-side-access-tokens',
        null,
        { admin: 200, org_admin: 200, member: 200, read_only: 403, jwt_member: 200, jwt_read_only: 403 },
      ],
      [
        'GET',
        '/v1/client-side-access-tokens',
        undefined,
        { admin: 200, org_admin: 200, member: 200, read_only: 200, jwt_member: 200, jwt_read_only: 200 },
      ],
    ];
    let callers: Record<string, Api>;
    let agentId: string;

    beforeAll(async () => {
      agentId = (await a.as.member.post('/v1/agents', { name: 'matrix', model: 'openai/gpt-4o-mini' })).body
        .id;
      expect(agentId).toMatch(/^agent-/);
      callers = {
        admin: bearer(t.baseUrl, ADMIN_KEY, { user_id: a.userId }),
        org_admin: a.as.org_admin,
        member: a.as.member,
        read_only: a.as.read_only,
        jwt_member: bearer(t.baseUrl, await jwt({ sub: 'alice', org_id: a.orgId })),
        jwt_read_only: bearer(t.baseUrl, await jwt({ sub: 'reader', org_id: a.orgId, role: 'read_only' })),
        jwt_org_admin: bearer(t.baseUrl, await jwt({ sub: 'boss', org_id: a.orgId, role: 'org_admin' })),
        jwt_admin: bearer(t.baseUrl, await jwt({ sub: 'root', org_id: a.orgId, role: 'admin' })),
        admin_api_key: bearer(
          t.baseUrl,
          (
            await bearer(t.baseUrl, ADMIN_KEY).post('/v1/admin/api-keys', {
              name: 'admin-key',
              organization_id: a.orgId,
              role: 'admin',
            })
          ).body.key,
        ),
        // Every access grant on the agent: still none of these routes (they are not the agent's).
        access_token: bearer(
          t.baseUrl,
          (
            await a.as.member.post('/v1/client-side-access-tokens', {
              hostname: 'https://app.test',
              policy: [
                {
                  type: 'agent',
                  id: agentId,
                  access: ['read_messages', 'write_messages', 'read_agent', 'write_agent'],
                },
              ],
            })
          ).body.token,
        ),
      };
    });

    it.each(cases)('%s %s', async (method, path, body, expected) => {
      const payload =
        body === null
          ? { hostname: 'https://app.test', policy: [{ type: 'agent', id: agentId, access: ['read_agent'] }] }
          : body;
      const derived = {
        // The same role through another kind of credential answers the same.
        jwt_org_admin: expected.org_admin,
        jwt_admin: expected.admin,
        admin_api_key: expected.admin,
        access_token: 403,
      };
      for (const [who, status] of Object.entries({ ...expected, ...derived })) {
        const res = await callers[who].request(method, path, payload);
        const got = res.status >= 200 && res.status < 300 ? 200 : res.status;
        expect({ who, status: got, detail: got === status ? undefined : res.body }).toEqual({
          who,
          status,
          detail: undefined,
        });
        if (status === 403) expect(res.body).toMatchObject({ code: 'forbidden', detail: expect.any(String) });
      }
    });
  });

  describe('the user_id header', () => {
    it('acts as any user for the admin key', async () => {
      const made = await bearer(t.baseUrl, ADMIN_KEY, { user_id: b.userId }).post('/v1/blocks', {
        label: 'x',
        value: 'by admin as b',
      });
      expect(made.status).toBe(200);
      expect((await b.as.member.get(`/v1/blocks/${made.body.id}`)).status).toBe(200);
      expect((await a.as.member.get(`/v1/blocks/${made.body.id}`)).status).toBe(404);
      expect(
        (
          await bearer(t.baseUrl, ADMIN_KEY, { user_id: 'user-00000000-0000-4000-8000-00000000dead' }).get(
            '/v1/agents',
          )
        ).status,
      ).toBe(401);
    });

    it('acts as a user of its own organization for an org_admin, never across', async () => {
      const other = await admin.post('/v1/admin/users', { name: 'second', organization_id: a.orgId });
      const mine = await bearer(t.baseUrl, a.keys.org_admin.key, { user_id: other.body.id }).post(
        '/v1/blocks',
        { label: 'x', value: 'v' },
      );
      expect(mine.status).toBe(200);
      expect(mine.body.created_by_id ?? other.body.id).toBe(other.body.id);
      const across = await bearer(t.baseUrl, a.keys.org_admin.key, { user_id: b.userId }).get('/v1/agents');
      expect(across.status).toBe(403);
    });

    it('is refused for members, read_only keys, JWT members and access tokens', async () => {
      const agent = (await a.as.member.post('/v1/agents', { name: 'h', model: 'openai/gpt-4o-mini' })).body;
      const token = (
        await a.as.org_admin.post('/v1/client-side-access-tokens', {
          hostname: 'https://app.test',
          policy: [{ type: 'agent', id: agent.id, access: ['read_agent'] }],
        })
      ).body.token;
      expect((await bearer(t.baseUrl, token).get(`/v1/agents/${agent.id}`)).status).toBe(200);
      for (const key of [
        a.keys.member.key,
        a.keys.read_only.key,
        await jwt({ sub: 'carol', org_id: a.orgId }),
        token,
      ]) {
        const res = await bearer(t.baseUrl, key, { user_id: a.userId }).get(`/v1/agents/${agent.id}`);
        expect(res.status).toBe(403);
        expect(res.body.detail).toMatch(/user_id/);
      }
    });
  });

  describe('JWT (HS256, issuer and audience checked)', () => {
    it('creates the user on first sight, in the organization of org_id, once', async () => {
      const token = await jwt({ sub: 'dave@example.com', org_id: b.orgId });
      const made = await bearer(t.baseUrl, token).post('/v1/blocks', { label: 'j', value: 'jwt' });
      expect(made.status).toBe(200);
      expect((await b.as.member.get(`/v1/blocks/${made.body.id}`)).status).toBe(200);
      const again = await bearer(t.baseUrl, await jwt({ sub: 'dave@example.com', org_id: b.orgId })).get(
        '/v1/agents',
      );
      expect(again.status).toBe(200);
      const users = (await admin.get(`/v1/admin/users?org_id=${b.orgId}&limit=1000`)).body;
      expect(users.filter((u: any) => u.name === 'dave@example.com')).toHaveLength(1);
    });

    it.each([
      [
        'expired',
        (org: string) => jwt({ sub: 's', org_id: org }, { exp: Math.floor(Date.now() / 1000) - 60 }),
        /expired/,
      ],
      [
        'signed with another secret',
        (org: string) => jwt({ sub: 's', org_id: org }, { secret: 'another-secret-0123456789abcdefghij' }),
        /signature/,
      ],
      [
        'from another issuer',
        (org: string) => jwt({ sub: 's', org_id: org }, { iss: 'https://evil.test' }),
        /issuer/,
      ],
      [
        'for another audience',
        (org: string) => jwt({ sub: 's', org_id: org }, { aud: 'someone-else' }),
        /audience/,
      ],
      ['without org_id', () => jwt({ sub: 's' }), /org_id/],
      [
        'with an unknown org_id',
        () => jwt({ sub: 's', org_id: 'org-00000000-0000-4000-8000-0000000000ff' }),
        /unknown organization/,
      ],
      ['with an unknown role', (org: string) => jwt({ sub: 's', org_id: org, role: 'root' }), /role/],
      ['without sub', (org: string) => jwt({ org_id: org }), /sub/],
    ])('401 when %s', async (_, make, reason) => {
      const res = await bearer(t.baseUrl, await make(a.orgId)).get('/v1/agents');
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(reason);
    });

    it('role admin in a JWT reaches admin routes; the default role is member', async () => {
      expect(
        (
          await bearer(t.baseUrl, await jwt({ sub: 'root', org_id: a.orgId, role: 'admin' })).get(
            '/v1/admin/orgs',
          )
        ).status,
      ).toBe(200);
      expect(
        (await bearer(t.baseUrl, await jwt({ sub: 'plain', org_id: a.orgId })).get('/v1/admin/orgs')).status,
      ).toBe(403);
    });
  });
});
