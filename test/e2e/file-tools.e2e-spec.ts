import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { makePdf } from '../support/documents';
import { FakeOpenAiServer } from '../support/fake-openai';
import { settled, upload } from '../support/folders';

const MODEL = 'openai/gpt-4o-mini';
type Msg = Record<string, any>;

/** The agent's file tools through the loop, the LLM being the fake server over HTTP. */
describe('file tools in the agent loop (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  let folder: { id: string; name: string };
  let agent: { id: string };
  const fileIds: Record<string, string> = {};

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'done' } });
    t = await startTestApp({
      OPENAI_API_KEY: 'test',
      OPENAI_BASE_URL: fake.baseUrl,
      ENGRAM_PROCESS_JOBS: 'true',
    });
    api = await newTenant(new Api(t.baseUrl), 'file-tools');
    folder = (await api.post('/v1/folders', { name: 'library', instructions: 'Cite the file.' })).body;
    const guide = Array.from({ length: 60 }, (_, i) => `Step ${i + 1}: stir the pot for ${i + 1} minutes.`);
    guide[41] = 'Step 42: add exactly three saffron threads to the broth.';
    const docs: Array<[string, Buffer | string]> = [
      ['recipes.md', guide.join('\n')],
      ['ledger.csv', 'item,price\nsaffron,12\nsalt,1\n'],
      ['manual.pdf', makePdf(['The boiler pressure must stay below nine bar.', 'Check the valve weekly.'])],
    ];
    for (const [name, data] of docs) {
      const res = await upload(api, folder.id, name, data);
      expect((await settled(api, folder.id, res.body.id)).processing_status).toBe('completed');
      fileIds[name] = res.body.id;
    }
    agent = (await api.post('/v1/agents', { model: MODEL, folder_ids: [folder.id], max_files_open: 2 })).body;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const send = async (text: string) => {
    const res = await api.post(`/v1/agents/${agent.id}/messages`, {
      messages: [{ role: 'user', content: text }],
    });
    expect(res.status).toBe(200);
    return res.body.messages as Msg[];
  };
  const toolReturn = (messages: Msg[]): Msg => {
    const found = messages.find((m) => m.message_type === 'tool_return_message');
    if (!found) throw new Error(`no tool return in ${JSON.stringify(messages)}`);
    return found;
  };

  it('attaches open_files, grep_files and semantic_search_files with the folder, and offers them', async () => {
    const tools = (await api.get(`/v1/agents/${agent.id}/tools`)).body.map((x: { name: string }) => x.name);
    expect(tools).toEqual(expect.arrayContaining(['open_files', 'grep_files', 'semantic_search_files']));
    await send('hello');
    const offered = fake.chatRequests[0].body.tools.map(
      (x: { function: { name: string } }) => x.function.name,
    );
    expect(offered).toEqual(expect.arrayContaining(['open_files', 'grep_files', 'semantic_search_files']));
  });

  it('grep_files finds lines by regex, citing file and line, with context', async () => {
    fake.enqueue(
      { toolCalls: [{ name: 'grep_files', arguments: { pattern: 'saffron\\s+threads', context_lines: 1 } }] },
      { content: 'found it' },
    );
    const ret = toolReturn(await send('where is saffron used?'));
    expect(ret.status).toBe('success');
    expect(ret.tool_return).toContain('Found 1 matches in 1 files');
    expect(ret.tool_return).toContain('=== library/recipes.md:42 ===');
    expect(ret.tool_return).toContain('> 42: Step 42: add exactly three saffron threads to the broth.');
    expect(ret.tool_return).toContain('  41: Step 41: stir the pot for 41 minutes.');

    fake.enqueue({
      toolCalls: [{ name: 'grep_files', arguments: { pattern: 'saffron', include: '\\.csv$' } }],
    });
    const csv = toolReturn(await send('prices?'));
    expect(csv.tool_return).toContain('library/ledger.csv:2');
    expect(csv.tool_return).not.toContain('recipes.md');

    // A catastrophic pattern cannot hold the server: it stops at the time limit.
    fake.enqueue({ toolCalls: [{ name: 'grep_files', arguments: { pattern: '(a+)+$' } }] });
    const started = Date.now();
    const evil = toolReturn(await send('x'));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(evil.status).toBe('success');
    fake.enqueue({ toolCalls: [{ name: 'grep_files', arguments: { pattern: '(' } }] });
    const bad = toolReturn(await send('x'));
    expect(bad.status).toBe('error');
    expect(bad.tool_return).toMatch(/not a valid regular expression/);
    expect((await api.get('/v1/health')).status).toBe(200);
  });

  it('semantic_search_files answers passages with file names and line numbers (PDF too)', async () => {
    fake.enqueue({
      toolCalls: [{ name: 'semantic_search_files', arguments: { query: 'boiler pressure bar', limit: 3 } }],
    });
    const ret = toolReturn(await send('what about the boiler?'));
    expect(ret.status).toBe('success');
    expect(ret.tool_return).toMatch(
      /1\. library\/manual\.pdf \(lines 1-2\):\nThe boiler pressure must stay below nine bar\./,
    );
  });

  it('open_files opens a window of lines into memory, closing the least recently used past the limit', async () => {
    await api.patch(`/v1/agents/${agent.id}/files/close-all`);
    fake.enqueue({
      toolCalls: [
        {
          name: 'open_files',
          arguments: {
            file_requests: [
              { file_name: 'library/recipes.md', offset: 40, length: 3 },
              { file_name: 'ledger.csv' },
            ],
          },
        },
      ],
    });
    const ret = toolReturn(await send('open them'));
    expect(ret.status).toBe('success');
    expect(ret.tool_return).toContain('* Opened library/recipes.md (lines 41 to 43)');
    expect(ret.tool_return).toContain('* Opened library/ledger.csv');
    const state = (await api.get(`/v1/agents/${agent.id}`)).body;
    const recipes = state.memory.file_blocks.find((b: { label: string }) => b.label === 'library/recipes.md');
    expect(recipes.is_open).toBe(true);
    expect(recipes.value).toBe(
      '[Viewing lines 41 to 43 (out of 60 lines)]\n41: Step 41: stir the pot for 41 minutes.\n42: Step 42: add exactly three saffron threads to the broth.\n43: Step 43: stir the pot for 43 minutes.',
    );
    // The next LLM call sees the open window in its prompt.
    fake.enqueue({ content: 'ok' });
    await send('and now?');
    const system = fake.chatRequests[fake.chatRequests.length - 1].body.messages[0].content as string;
    expect(system).toContain('<directories>');
    expect(system).toContain('<directory name="library">');
    expect(system).toContain('<instructions>Cite the file.</instructions>');
    expect(system).toContain('<file status="open" name="library/recipes.md">');
    expect(system).toContain('42: Step 42: add exactly three saffron threads');
    expect(system).toContain('<file status="closed" name="library/manual.pdf">');

    fake.enqueue({
      toolCalls: [
        { name: 'open_files', arguments: { file_requests: [{ file_name: 'library/manual.pdf' }] } },
      ],
    });
    const third = toolReturn(await send('open the manual'));
    expect(third.tool_return).toContain(
      'Note: closed library/recipes.md to stay within the open-file limit.',
    );
    fake.enqueue({
      toolCalls: [{ name: 'open_files', arguments: { file_requests: [{ file_name: 'nope.txt' }] } }],
    });
    const missing = toolReturn(await send('open nope'));
    expect(missing.status).toBe('error');
    expect(missing.tool_return).toMatch(/not in any of your folders/);
  });

  it('detaching the last folder removes the file tools and the blocks', async () => {
    const detached = await api.patch(`/v1/agents/${agent.id}/folders/detach/${folder.id}`);
    expect(detached.body.memory.file_blocks).toEqual([]);
    const tools = (await api.get(`/v1/agents/${agent.id}/tools`)).body.map((x: { name: string }) => x.name);
    expect(tools).not.toContain('grep_files');
    expect(tools).not.toContain('open_files');
  });
});
