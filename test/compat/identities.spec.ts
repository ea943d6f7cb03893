import Letta, { NotFoundError } from '@letta-ai/letta-client';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

interface Identity {
  id: string;
  identifier_key: string;
  name: string;
  identity_type: string;
  agent_ids: string[];
  block_ids: string[];
  properties: Array<{ key: string; value: unknown; type: string }>;
}

/**
 * Identities through the official client. 1.12.1 has typed methods for attach/detach and the
 * agent's `identities`/`identity_ids`; `/v1/identities` itself it reaches through its generic
 * request methods (the route is Letta's, the client no longer wraps it).
 */
describe('compat: @letta-ai/letta-client identities', () => {
  let t: TestApp;
  let client: Letta;
  let stranger: Letta;

  const letta = (userId: string) =>
    new Letta({ baseURL: t.baseUrl, apiKey: 'x', maxRetries: 0, defaultHeaders: { user_id: userId } });

  beforeAll(async () => {
    t = await startTestApp();
    const root = new Api(t.baseUrl);
    client = letta((await newTenant(root, 'compat-id')).userId);
    stranger = letta((await newTenant(root, 'compat-id-other')).userId);
  });
  afterAll(() => t.close());

  it('creates identities, links agents by identity_ids and attach/detach, and filters agents', async () => {
    const identity = await client.post<Identity>('/v1/identities', {
      body: { identifier_key: 'user-7', name: 'Ada', identity_type: 'user' },
    });
    expect(identity.id).toMatch(/^identity-/);

    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini', identity_ids: [identity.id] });
    expect(agent.identity_ids).toEqual([identity.id]);
    expect(agent.identities?.[0]).toMatchObject({
      id: identity.id,
      identifier_key: 'user-7',
      identity_type: 'user',
      agent_ids: [agent.id],
    });

    const other = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    await client.agents.identities.attach(identity.id, { agent_id: other.id });
    const seen: string[] = [];
    for await (const a of client.agents.list({ identity_id: identity.id, order: 'asc' })) seen.push(a.id);
    expect(seen).toEqual([agent.id, other.id]);
    const byKey: string[] = [];
    for await (const a of client.agents.list({ identifier_keys: ['user-7'], order: 'asc' })) byKey.push(a.id);
    expect(byKey).toEqual([agent.id, other.id]);

    await client.agents.identities.detach(identity.id, { agent_id: other.id });
    expect((await client.agents.retrieve(other.id)).identities).toEqual([]);

    const updated = await client.agents.update(agent.id, { identity_ids: [] });
    expect(updated.identity_ids).toEqual([]);

    const got = await client.get<Identity>(`/v1/identities/${identity.id}`);
    expect(got.agent_ids).toEqual([]);
    const patched = await client.patch<Identity>(`/v1/identities/${identity.id}`, {
      body: { properties: [{ key: 'tier', value: 'gold', type: 'string' }] },
    });
    expect(patched.properties).toEqual([{ key: 'tier', value: 'gold', type: 'string' }]);
    const upserted = await client.put<Identity>('/v1/identities', {
      body: { identifier_key: 'user-7', name: 'Ada L.', identity_type: 'user' },
    });
    expect(upserted).toMatchObject({ id: identity.id, name: 'Ada L.' });
    const list = await client.get<Identity[]>('/v1/identities', {
      query: { identifier_key: 'user-7' },
    });
    expect(list.map((i) => i.id)).toEqual([identity.id]);
    await client.delete(`/v1/identities/${identity.id}`);
    await expect(client.get(`/v1/identities/${identity.id}`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers 404 to another organization’s identities', async () => {
    const identity = await client.post<Identity>('/v1/identities', {
      body: { identifier_key: 'private', name: 'P', identity_type: 'org' },
    });
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    const theirAgent = await stranger.agents.create({ model: 'openai/gpt-4o-mini' });
    await expect(stranger.get(`/v1/identities/${identity.id}`)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      stranger.agents.identities.attach(identity.id, { agent_id: theirAgent.id }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      stranger.agents.identities.attach(identity.id, { agent_id: agent.id }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      stranger.agents.create({ model: 'openai/gpt-4o-mini', identity_ids: [identity.id] }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const foreign: string[] = [];
    for await (const a of stranger.agents.list({ identity_id: identity.id })) foreign.push(a.id);
    expect(foreign).toEqual([]);
  });
});
