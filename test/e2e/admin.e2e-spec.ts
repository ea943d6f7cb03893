import { Api, startTestApp, TestApp } from '../support/app';

describe('admin: organizations and users (e2e)', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp();
    api = new Api(t.baseUrl);
  });
  afterAll(() => t.close());

  it('creates an organization and a user who then acts within it', async () => {
    const org = await api.post('/v1/admin/orgs', { name: 'acme' });
    expect(org.status).toBe(200);
    expect(org.body).toMatchObject({ id: expect.stringMatching(/^org-/), name: 'acme' });
    const user = await api.post('/v1/admin/users', { name: 'wile', organization_id: org.body.id });
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({ id: expect.stringMatching(/^user-/), organization_id: org.body.id });
    const users = await api.get(`/v1/admin/users?org_id=${org.body.id}`);
    expect(users.body.map((u: any) => u.id)).toEqual([user.body.id]);
    const asUser = api.as(user.body.id);
    const agent = await asUser.post('/v1/agents', { model: 'openai/gpt-4o-mini' });
    expect(agent.status).toBe(200);
    expect(agent.body.created_by_id).toBe(user.body.id);
  });

  it('validates input and 404s unknown organizations', async () => {
    expect((await api.post('/v1/admin/users', { name: 'x', organization_id: 'org-nope' })).status).toBe(422);
    expect(
      (
        await api.post('/v1/admin/users', {
          name: 'x',
          organization_id: 'org-00000000-0000-4000-8000-0000000000aa',
        })
      ).status,
    ).toBe(404);
    expect((await api.post('/v1/admin/users', {})).status).toBe(422);
    expect(
      (await api.delete('/v1/admin/users?user_id=user-00000000-0000-4000-8000-0000000000aa')).status,
    ).toBe(404);
  });
});
