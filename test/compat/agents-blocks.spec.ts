import Letta, { NotFoundError, UnprocessableEntityError } from '@letta-ai/letta-client';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

/** The official Letta TypeScript client, unchanged, against Engram. */
describe('compat: @letta-ai/letta-client agents, blocks, tags', () => {
  let t: TestApp;
  let client: Letta;

  beforeAll(async () => {
    t = await startTestApp();
    const tenant = await newTenant(new Api(t.baseUrl), 'compat');
    client = new Letta({
      baseURL: t.baseUrl,
      apiKey: 'unused-while-auth-is-off',
      maxRetries: 0,
      defaultHeaders: { user_id: tenant.userId },
    });
  });
  afterAll(() => t.close());

  it('creates, retrieves, updates, lists and deletes agents', async () => {
    const agent = await client.agents.create({
      name: 'compat-agent',
      model: 'openai/gpt-4o-mini',
      embedding: 'openai/text-embedding-3-small',
      memory_blocks: [
        { label: 'human', value: 'The user is called Sam.' },
        { label: 'persona', value: 'A cheerful helper.', limit: 1000 },
      ],
      tags: ['compat'],
    });
    expect(agent.id).toMatch(/^agent-/);
    expect(agent.blocks.map((b) => b.label)).toEqual(['human', 'persona']);
    expect(agent.llm_config.model).toBe('gpt-4o-mini');
    expect(agent.tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['conversation_search', 'archival_memory_insert', 'memory_replace']),
    );

    const fetched = await client.agents.retrieve(agent.id);
    expect(fetched.name).toBe('compat-agent');

    const updated = await client.agents.update(agent.id, {
      description: 'via the SDK',
      tags: ['compat', 'two'],
    });
    expect(updated.description).toBe('via the SDK');
    expect(updated.tags).toEqual(['compat', 'two']);

    const second = await client.agents.create({ model: 'openai/gpt-4o-mini', tags: ['compat'] });
    // The client's auto-pagination follows `after` cursors page by page.
    const seen: string[] = [];
    for await (const a of client.agents.list({ limit: 1, tags: ['compat'], order: 'asc' })) seen.push(a.id);
    expect(seen).toEqual([agent.id, second.id]);

    const tags = await client.tags.list();
    expect(tags).toEqual(['compat', 'two']);

    await client.agents.delete(second.id);
    await expect(client.agents.retrieve(second.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('manages blocks and an agent’s core memory', async () => {
    const shared = await client.blocks.create({ label: 'project', value: 'Engram', limit: 100 });
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini', block_ids: [shared.id] });

    const block = await client.agents.blocks.retrieve('project', { agent_id: agent.id });
    expect(block.value).toBe('Engram');
    const edited = await client.agents.blocks.update('project', { agent_id: agent.id, value: 'Engram v2' });
    expect(edited.value).toBe('Engram v2');
    expect((await client.blocks.retrieve(shared.id)).value).toBe('Engram v2');

    const listed: string[] = [];
    for await (const b of client.agents.blocks.list(agent.id)) listed.push(b.label ?? '');
    expect(listed).toEqual(['project']);

    const holders: string[] = [];
    for await (const a of client.blocks.agents.list(shared.id)) holders.push(a.id);
    expect(holders).toEqual([agent.id]);

    await expect(client.blocks.update(shared.id, { value: 'x'.repeat(101) })).rejects.toBeInstanceOf(
      UnprocessableEntityError,
    );

    const other = await client.blocks.create({ label: 'extra', value: 'more' });
    await client.agents.blocks.attach(other.id, { agent_id: agent.id });
    expect((await client.agents.retrieve(agent.id)).blocks.map((b) => b.label).sort()).toEqual([
      'extra',
      'project',
    ]);
    await client.agents.blocks.detach(other.id, { agent_id: agent.id });
    expect((await client.agents.retrieve(agent.id)).blocks.map((b) => b.label)).toEqual(['project']);

    await client.blocks.delete(other.id);
    await expect(client.blocks.retrieve(other.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reports health', async () => {
    const health = await client.health();
    expect(health.status).toBe('ok');
  });
});
