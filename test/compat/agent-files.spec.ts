import Letta, { NotFoundError, toFile, UnprocessableEntityError } from '@letta-ai/letta-client';
import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

/** The client's agent-file and recompile calls: exportFile, importFile, recompile. */
describe('compat: @letta-ai/letta-client agent files and recompile', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let root: Api;
  let client: Letta;
  let stranger: Letta;

  const letta = (userId: string) =>
    new Letta({ baseURL: t.baseUrl, apiKey: 'x', maxRetries: 0, defaultHeaders: { user_id: userId } });

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'ok' } });
    t = await startTestApp({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseUrl });
    root = new Api(t.baseUrl);
    client = letta((await newTenant(root, 'compat-af')).userId);
    stranger = letta((await newTenant(root, 'compat-af-other')).userId);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('exports with exportFile, imports into a fresh organization with importFile, and the copy answers', async () => {
    const agent = await client.agents.create({
      name: 'travel-guide',
      model: 'openai/gpt-4o-mini',
      memory_blocks: [{ label: 'human', value: 'Loves Lisbon.' }],
      tags: ['travel'],
    });
    fake.enqueue({ content: 'Lisbon it is.' });
    await client.agents.messages.create(agent.id, { messages: [{ role: 'user', content: 'Where to?' }] });

    // The client types the export as a string; the server answers JSON, which the client parses.
    const exported = (await client.agents.exportFile(agent.id)) as unknown as Record<string, any>;
    expect(exported.agents[0]).toMatchObject({ id: 'agent-0', name: 'travel-guide', tags: ['travel'] });
    await expect(stranger.agents.exportFile(agent.id)).rejects.toBeInstanceOf(NotFoundError);

    const fresh = letta((await newTenant(root, 'compat-af-fresh')).userId);
    const file = await toFile(Buffer.from(JSON.stringify(exported)), 'travel-guide.af');
    const imported = await fresh.agents.importFile({ file, append_copy_suffix: false, name: 'guide-2' });
    expect(imported.agent_ids).toHaveLength(1);
    const copy = await fresh.agents.retrieve(imported.agent_ids[0]);
    expect(copy).toMatchObject({ name: 'guide-2', tags: ['travel'] });
    expect(copy.blocks.map((b) => b.value)).toEqual(['Loves Lisbon.']);
    await expect(client.agents.retrieve(copy.id)).rejects.toBeInstanceOf(NotFoundError);

    const history: Array<string | undefined> = [];
    for await (const m of fresh.agents.messages.list(copy.id, { order: 'asc' })) history.push(m.message_type);
    expect(history).toEqual(['system_message', 'user_message', 'assistant_message']);

    fake.enqueue({ content: 'Still Lisbon.' });
    const res = await fresh.agents.messages.create(copy.id, {
      messages: [{ role: 'user', content: 'Again?' }],
    });
    expect(res.stop_reason.stop_reason).toBe('end_turn');
    const sent = JSON.stringify(fake.lastRequest?.body.messages);
    expect(sent).toContain('Where to?');
    expect(sent).toContain('Loves Lisbon.');

    await expect(
      fresh.agents.importFile({ file: await toFile(Buffer.from('{oops'), 'x.af') }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('recompile returns the system prompt the next step sends', async () => {
    const agent = await client.agents.create({
      model: 'openai/gpt-4o-mini',
      system: 'You are a careful archivist.',
      memory_blocks: [{ label: 'persona', value: 'Keeps every record.' }],
    });
    const prompt = await client.agents.recompile(agent.id);
    expect(typeof prompt).toBe('string');
    expect(prompt).toContain('You are a careful archivist.');
    expect(prompt).toContain('Keeps every record.');

    fake.enqueue({ content: 'noted' });
    await client.agents.messages.create(agent.id, { messages: [{ role: 'user', content: 'hi' }] });
    const system = fake.lastRequest?.body.messages[0].content as string;
    // The same text, but for what changes between the two moments: the clock and recall's size.
    const steady = (s: string) =>
      s
        .split('\n')
        .filter((l) => !l.startsWith('- Current date and time') && !l.startsWith('- Recall memory holds'))
        .join('\n');
    expect(steady(prompt)).toBe(steady(system));

    const dry = await client.agents.recompile(agent.id, { dry_run: true, update_timestamp: true });
    expect(dry).toContain('Core memory last edited:');
    await expect(client.agents.recompile(agent.id, { update_timestamp: true })).rejects.toBeInstanceOf(
      UnprocessableEntityError,
    );
    await expect(stranger.agents.recompile(agent.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
