import Letta, { NotFoundError } from '@letta-ai/letta-client';
import { toFile } from '@letta-ai/letta-client/uploads';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

/** Folders, uploads, the agent's folders and files, through the official client's own methods. */
describe('compat: @letta-ai/letta-client folders and files', () => {
  let t: TestApp;
  let client: Letta;
  let stranger: Letta;

  const letta = (userId: string) =>
    new Letta({ baseURL: t.baseUrl, apiKey: 'x', maxRetries: 0, defaultHeaders: { user_id: userId } });

  const ingested = async (folderId: string, fileId: string) => {
    for (let i = 0; i < 400; i++) {
      const f = await client.folders.files.retrieve(fileId, { folder_id: folderId });
      if (f.processing_status === 'completed' || f.processing_status === 'error') return f;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('never ingested');
  };

  beforeAll(async () => {
    t = await startTestApp({ ENGRAM_PROCESS_JOBS: 'true' });
    const root = new Api(t.baseUrl);
    client = letta((await newTenant(root, 'compat-folders')).userId);
    stranger = letta((await newTenant(root, 'compat-folders-other')).userId);
  });
  afterAll(() => t.close());

  it('creates a folder, uploads, lists and reads files, and deletes', async () => {
    const folder = await client.folders.create({ name: 'guides', description: 'how-tos' });
    expect(folder.id).toMatch(/^source-/);
    expect(folder.embedding_config.embedding_dim).toBe(384);
    expect((await client.folders.retrieve(folder.id)).name).toBe('guides');
    expect((await client.folders.update(folder.id, { instructions: 'cite them' })).instructions).toBe(
      'cite them',
    );
    const names: string[] = [];
    for await (const f of client.folders.list({ name: 'guides' })) names.push(f.name);
    expect(names).toEqual(['guides']);

    const text = 'Step one: boil water.\nStep two: add the tea leaves.\n';
    const uploaded = await client.folders.files.upload(folder.id, {
      file: await toFile(Buffer.from(text), 'tea.md'),
    });
    expect(uploaded).toMatchObject({
      source_id: folder.id,
      file_name: 'tea.md',
      processing_status: 'pending',
    });
    const done = await ingested(folder.id, uploaded.id);
    expect(done).toMatchObject({ processing_status: 'completed', total_chunks: 1, chunks_embedded: 1 });
    const full = await client.folders.files.retrieve(uploaded.id, {
      folder_id: folder.id,
      include_content: true,
    });
    expect(full.content).toBe(text);
    const again = await client.folders.files.upload(folder.id, {
      file: await toFile(Buffer.from(text), 'tea.md'),
      duplicate_handling: 'suffix',
    });
    expect(again.file_name).toBe('tea_(1).md');
    await ingested(folder.id, again.id);
    const listed: string[] = [];
    for await (const f of client.folders.files.list(folder.id, { order: 'asc' })) listed.push(f.file_name!);
    expect(listed).toEqual(['tea.md', 'tea_(1).md']);

    await client.folders.files.delete(again.id, { folder_id: folder.id });
    await expect(client.folders.files.retrieve(again.id, { folder_id: folder.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(stranger.folders.retrieve(folder.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      stranger.folders.files.upload(folder.id, { file: await toFile(Buffer.from('x'), 'x.txt') }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await client.folders.delete(folder.id);
    await expect(client.folders.retrieve(folder.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("attaches a folder to an agent and works the agent's files: list, open, close, close all", async () => {
    const folder = await client.folders.create({ name: 'kb' });
    const ids: string[] = [];
    for (const name of ['one.txt', 'two.txt']) {
      const f = await client.folders.files.upload(folder.id, {
        file: await toFile(Buffer.from(`contents of ${name}`), name),
      });
      await ingested(folder.id, f.id);
      ids.push(f.id);
    }
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini', folder_ids: [folder.id] });
    expect(agent.sources.map((s) => s.id)).toEqual([folder.id]);
    expect(agent.memory.file_blocks?.map((b) => b.label)).toEqual(['kb/one.txt', 'kb/two.txt']);
    expect(await client.folders.agents.list(folder.id)).toEqual([agent.id]);
    const folders: string[] = [];
    for await (const f of client.agents.folders.list(agent.id)) folders.push(f.id);
    expect(folders).toEqual([folder.id]);

    const files: Array<{ file_id: string; is_open: boolean }> = [];
    for await (const f of client.agents.files.list(agent.id, { limit: 1, order: 'asc' })) files.push(f);
    expect(files.map((f) => [f.file_id, f.is_open])).toEqual([
      [ids[0], true],
      [ids[1], true],
    ]);
    expect(await client.agents.files.close(ids[0], { agent_id: agent.id })).toEqual({
      message: `File id=${ids[0]} successfully closed`,
    });
    expect(await client.agents.files.open(ids[0], { agent_id: agent.id })).toEqual([]);
    expect(await client.agents.files.closeAll(agent.id)).toEqual(['kb/one.txt', 'kb/two.txt']);

    const detached = await client.agents.folders.detach(folder.id, { agent_id: agent.id });
    expect(detached?.sources).toEqual([]);
    const attached = await client.agents.folders.attach(folder.id, { agent_id: agent.id });
    expect(attached?.sources.map((s) => s.id)).toEqual([folder.id]);
    await expect(stranger.agents.folders.attach(folder.id, { agent_id: agent.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});
