import { Api, newTenant, TenantApi, useLlmApp } from '../support/app';
import { settled, upload } from '../support/folders';

const MODEL = 'openai/gpt-4o-mini';
type Json = Record<string, any>;

/** POST /v1/agents/import with a multipart form, as the Letta client sends it. */
async function importFile(api: Api, file: unknown, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([typeof file === 'string' ? file : JSON.stringify(file)]), 'agent.af');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(`${api.baseUrl}/v1/agents/import`, {
    method: 'POST',
    headers: api.headers,
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

const FAQ = [
  '# Frequently asked',
  'Q: When does the night ferry leave?',
  'A: The night ferry leaves pier seven at 23:40.',
  'Q: Can bicycles travel?',
  'A: Bicycles ride free on the lower deck.',
].join('\n');
const GLOSSARY =
  'berth: a bed on a ship\ngangway: the walkway onto the ship\npurser: the officer who keeps the accounts';

/**
 * An agent file with a folder, written by hand after Letta's AgentFileSchema
 * (letta/schemas/agent_file.py: SourceSchema, FileSchema, FileAgentSchema) as Letta exports it:
 * file names carry the folder's name, the views' ids are database ids, and the folder names
 * OpenAI's embedding model.
 */
function lettaFolderFixture(): Json {
  const tool = (id: string, name: string, type: string) => ({
    id,
    tool_type: type,
    description: `The ${name} tool.`,
    source_type: 'python',
    name,
    tags: [type],
    source_code: null,
    json_schema: { name, parameters: { type: 'object', properties: {} } },
    args_json_schema: null,
    return_char_limit: 50000,
    pip_requirements: null,
    npm_requirements: null,
    default_requires_approval: null,
    enable_parallel_execution: false,
    created_by_id: null,
    last_updated_by_id: null,
    metadata_: {},
  });
  const file = (id: string, name: string, content: string | null, extra: Json = {}) => ({
    source_id: 'source-0',
    file_name: `ferry-kb/${name}`,
    original_file_name: name,
    file_path: null,
    file_type: name.endsWith('.md') ? 'text/markdown' : 'text/plain',
    file_size: content === null ? null : content.length,
    file_creation_date: null,
    file_last_modified_date: null,
    processing_status: 'completed',
    error_message: null,
    total_chunks: 1,
    chunks_embedded: 1,
    content,
    id,
    ...extra,
  });
  return {
    agents: [
      {
        name: 'ferry-desk',
        memory_blocks: [],
        tools: [],
        tool_ids: ['tool-0', 'tool-1', 'tool-2', 'tool-3'],
        source_ids: ['source-0'],
        folder_ids: null,
        block_ids: ['block-0'],
        tool_rules: [],
        tags: ['ferry'],
        system: 'You answer questions about the ferry.',
        agent_type: 'letta_v1_agent',
        llm_config: {
          model: 'gpt-4o-mini',
          model_endpoint_type: 'openai',
          model_endpoint: 'https://api.openai.com/v1',
          provider_name: 'openai',
          provider_category: 'base',
          context_window: 128000,
          handle: MODEL,
          temperature: 0.7,
          max_tokens: 4096,
        },
        embedding_config: {
          embedding_endpoint_type: 'openai',
          embedding_endpoint: 'https://api.openai.com/v1',
          embedding_model: 'text-embedding-3-small',
          embedding_dim: 1536,
          embedding_chunk_size: 300,
          handle: 'openai/text-embedding-3-small',
          batch_size: 1024,
        },
        include_base_tools: false,
        include_multi_agent_tools: false,
        include_base_tool_rules: false,
        include_default_source: false,
        description: null,
        metadata: null,
        enable_reasoner: false,
        template: false,
        tool_exec_environment_variables: {},
        message_buffer_autoclear: false,
        enable_sleeptime: false,
        timezone: 'UTC',
        max_files_open: 5,
        per_file_view_window_char_limit: 15000,
        id: 'agent-0',
        in_context_message_ids: [],
        messages: [],
        files_agents: [
          {
            agent_id: 'agent-0',
            file_id: 'file-0',
            source_id: 'source-0',
            file_name: 'ferry-kb/faq.md',
            is_open: true,
            visible_content:
              '[Viewing lines 2 to 3 (out of 5 lines)]\n2: Q: When does the night ferry leave?\n3: A: The night ferry leaves pier seven at 23:40.',
            last_accessed_at: '2025-08-21T23:20:42.951647+00:00',
            start_line: 2,
            end_line: 4,
            id: 'file_agent-9c9137af-04a5-4ad5-8977-d294f8c61e85',
          },
          {
            agent_id: 'agent-0',
            file_id: 'file-1',
            source_id: 'source-0',
            file_name: 'ferry-kb/glossary.txt',
            is_open: false,
            visible_content: null,
            last_accessed_at: '2025-08-21T23:20:40.000000+00:00',
            start_line: null,
            end_line: null,
            id: 'file_agent-c9c055aa-6f69-4c80-8303-a70a906325a3',
          },
        ],
        group_ids: [],
      },
    ],
    groups: [],
    blocks: [
      {
        value: 'The passenger is travelling with a bicycle.',
        limit: 5000,
        template_name: null,
        is_template: false,
        preserve_on_migration: false,
        label: 'human',
        read_only: false,
        description: null,
        metadata: {},
        id: 'block-0',
      },
    ],
    files: [
      file('file-0', 'faq.md', FAQ),
      file('file-1', 'glossary.txt', GLOSSARY),
      file('file-2', 'scan.pdf', null, {
        processing_status: 'error',
        error_message: 'OCR failed',
        total_chunks: null,
        chunks_embedded: null,
      }),
    ],
    sources: [
      {
        name: 'ferry-kb',
        description: 'Timetables and terms',
        instructions: null,
        metadata: null,
        embedding: null,
        embedding_chunk_size: null,
        embedding_config: {
          embedding_endpoint_type: 'openai',
          embedding_endpoint: 'https://api.openai.com/v1',
          embedding_model: 'text-embedding-3-small',
          embedding_dim: 1536,
          embedding_chunk_size: 300,
          handle: 'openai/text-embedding-3-small',
          batch_size: 1024,
        },
        id: 'source-0',
      },
    ],
    tools: [
      tool('tool-0', 'conversation_search', 'letta_core'),
      tool('tool-1', 'grep_files', 'letta_files_core'),
      tool('tool-2', 'open_files', 'letta_files_core'),
      tool('tool-3', 'semantic_search_files', 'letta_files_core'),
    ],
    mcp_servers: [],
    metadata: { revision_id: 'ffb17eb241fc' },
    created_at: '2025-08-21T23:20:45.000000+00:00',
  };
}

describe('agent files with folders and files (e2e)', () => {
  const ctx = useLlmApp('af-folders');
  beforeEach(() => ctx.fake.reset());

  const toolReturn = (body: Json): Json => {
    const found = body.messages.find((m: Json) => m.message_type === 'tool_return_message');
    if (!found) throw new Error(`no tool return in ${JSON.stringify(body.messages)}`);
    return found;
  };
  /** One message through the loop, the fake LLM calling `tool` with `args` first. */
  const callTool = async (api: Api, agentId: string, tool: string, args: Json) => {
    ctx.fake.enqueue({ toolCalls: [{ name: tool, arguments: args }] }, { content: 'done' });
    const res = await api.post(`/v1/agents/${agentId}/messages`, { input: `use ${tool}` });
    expect(res.status).toBe(200);
    return toolReturn(res.body);
  };
  /** Waits for every file of a folder to finish ingesting and answers them. */
  const allSettled = async (api: Api, folderId: string) => {
    const files = (await api.get(`/v1/folders/${folderId}/files`)).body as Json[];
    return Promise.all(files.map((f) => settled(api, folderId, f.id)));
  };
  const blocksOf = async (api: Api, agentId: string) =>
    new Map(
      ((await api.get(`/v1/agents/${agentId}`)).body.memory.file_blocks as Json[]).map((b) => [b.label, b]),
    );

  it('round-trips an agent with a folder: files re-ingested, the open window kept, grep and search work', async () => {
    const a = ctx.api;
    const folder = (await a.post('/v1/folders', { name: 'handbook', instructions: 'Quote the rule number.' }))
      .body;
    const rules = Array.from({ length: 60 }, (_, i) => `Rule ${i + 1}: keep the hallway tidy (${i + 1}).`);
    rules[41] = 'Rule 42: visitors must sign the brass ledger at the door.';
    for (const [name, text] of [
      ['policies.md', rules.join('\n')],
      ['notes.txt', 'Remember the quarterly audit.\nThe audit is in March.'],
    ]) {
      const res = await upload(a, folder.id, name, text);
      expect(res.status).toBe(200);
      expect((await settled(a, folder.id, res.body.id)).processing_status).toBe('completed');
    }
    const agent = (await a.post('/v1/agents', { model: MODEL, name: 'clerk', folder_ids: [folder.id] })).body;
    // The agent opens a window of the policies and closes the rest, through its tool.
    const opened = await callTool(a, agent.id, 'open_files', {
      file_requests: [{ file_name: 'handbook/policies.md', offset: 40, length: 3 }],
      close_all_others: true,
    });
    expect(opened.status).toBe('success');
    const before = await blocksOf(a, agent.id);

    const res = await fetch(`${ctx.t.baseUrl}/v1/agents/${agent.id}/export`, { headers: a.headers });
    expect(res.status).toBe(200);
    const file = (await res.json()) as Json;
    expect(file.sources).toEqual([
      {
        name: 'handbook',
        description: null,
        instructions: 'Quote the rule number.',
        metadata: null,
        embedding: null,
        embedding_chunk_size: null,
        embedding_config: folder.embedding_config,
        id: 'source-0',
      },
    ]);
    expect(file.files.map((f: Json) => [f.id, f.source_id, f.file_name, f.processing_status])).toEqual([
      ['file-0', 'source-0', 'policies.md', 'completed'],
      ['file-1', 'source-0', 'notes.txt', 'completed'],
    ]);
    expect(file.files[0].content).toBe(rules.join('\n'));
    expect(file.files[0]).toMatchObject({
      original_file_name: 'policies.md',
      file_type: 'text/markdown',
      file_size: Buffer.byteLength(rules.join('\n')),
      total_chunks: expect.any(Number),
    });
    const [af] = file.agents;
    expect(af.source_ids).toEqual(['source-0']);
    const views = new Map(af.files_agents.map((v: Json) => [v.file_id, v]));
    expect(views.get('file-0')).toMatchObject({
      agent_id: 'agent-0',
      source_id: 'source-0',
      file_name: 'handbook/policies.md',
      is_open: true,
      visible_content: before.get('handbook/policies.md')!.value,
      start_line: 41,
      end_line: 44,
      id: expect.stringMatching(/^file_agent-\d+$/),
    });
    expect(views.get('file-1')).toMatchObject({ is_open: false, visible_content: null });
    const toolNames = new Map(file.tools.map((t: Json) => [t.name, t.tool_type]));
    expect(toolNames.get('grep_files')).toBe('letta_files_core');

    // Into a fresh organization.
    const b = await newTenant(new Api(ctx.t.baseUrl), 'af-folders-b');
    const imported = await importFile(b, file);
    expect(imported.status).toBe(200);
    const [id] = imported.body.agent_ids;
    const folders = (await b.get(`/v1/agents/${id}/folders`)).body as Json[];
    expect(folders.map((f) => [f.name, f.instructions])).toEqual([['handbook', 'Quote the rule number.']]);
    expect(folders[0].id).not.toBe(folder.id);
    expect(folders[0].embedding_config).toEqual(folder.embedding_config);
    const files = await allSettled(b, folders[0].id);
    expect(files.map((f) => [f.file_name, f.processing_status]).sort()).toEqual([
      ['notes.txt', 'completed'],
      ['policies.md', 'completed'],
    ]);
    // One ingestion job per file, and the passages made again.
    const jobs = (await b.get(`/v1/jobs?source_id=${folders[0].id}`)).body as Json[];
    expect(jobs.map((j) => [j.status, j.metadata.file_id]).sort()).toEqual(
      files.map((f) => ['completed', f.id]).sort(),
    );
    const passages = (await b.get(`/v1/folders/${folders[0].id}/passages`)).body as Json[];
    expect(passages.length).toBeGreaterThan(0);
    expect(passages.some((p) => p.text.includes('brass ledger'))).toBe(true);
    // The views are as the agent left them, also once ingestion completed.
    const after = await blocksOf(b, id);
    expect(after.get('handbook/policies.md')).toMatchObject({
      is_open: true,
      value: before.get('handbook/policies.md')!.value,
    });
    expect(after.get('handbook/notes.txt')).toMatchObject({ is_open: false, value: '' });
    const listed = (await b.get(`/v1/agents/${id}/files`)).body.files as Json[];
    expect(listed.find((f) => f.file_name === 'handbook/policies.md')).toMatchObject({
      start_line: 41,
      end_line: 44,
    });

    // The imported agent reads its files through the loop.
    const asked = ctx.fake.chatRequests.length;
    const grep = await callTool(b, id, 'grep_files', { pattern: 'brass\\s+ledger' });
    expect(grep.status).toBe('success');
    expect(grep.tool_return).toContain('=== handbook/policies.md:42 ===');
    expect(grep.tool_return).toContain('> 42: Rule 42: visitors must sign the brass ledger at the door.');
    const system = ctx.fake.chatRequests[asked].body.messages[0].content as string;
    expect(system).toContain('<file status="open" name="handbook/policies.md">');
    expect(system).toContain('42: Rule 42: visitors must sign the brass ledger');
    expect(system).toContain('<file status="closed" name="handbook/notes.txt">');
    const search = await callTool(b, id, 'semantic_search_files', { query: 'quarterly audit march' });
    expect(search.tool_return).toMatch(/handbook\/notes\.txt \(lines 1-2\):\nRemember the quarterly audit\./);

    // A second import into the same organization gets a folder of its own, suffixed as in Letta.
    const again = await importFile(b, file);
    expect(again.status).toBe(200);
    const second = (await b.get(`/v1/agents/${again.body.agent_ids[0]}/folders`)).body as Json[];
    expect(second[0].name).toMatch(/^handbook_[0-9a-f]{8}$/);
    await allSettled(b, second[0].id);
    // Each organization sees only its own folders.
    expect((await a.get(`/v1/folders/${folders[0].id}`)).status).toBe(404);
    expect((await b.get(`/v1/folders/${folder.id}`)).status).toBe(404);
  });

  it('imports a Letta-format file with sources, files and files_agents', async () => {
    const c = await newTenant(new Api(ctx.t.baseUrl), 'af-folders-c');
    const res = await importFile(c, lettaFolderFixture());
    expect(res.status).toBe(200);
    const [id] = res.body.agent_ids;
    const [folder] = (await c.get(`/v1/agents/${id}/folders`)).body as Json[];
    expect(folder).toMatchObject({
      name: 'ferry-kb',
      description: 'Timetables and terms',
      embedding_config: expect.objectContaining({
        handle: 'openai/text-embedding-3-small',
        embedding_dim: 1536,
      }),
    });
    const files = new Map((await allSettled(c, folder.id)).map((f) => [f.file_name, f]));
    // Letta's `folder/file` names are the file's own name here.
    expect([...files.keys()].sort()).toEqual(['faq.md', 'glossary.txt', 'scan.pdf']);
    expect(files.get('faq.md')).toMatchObject({
      processing_status: 'completed',
      original_file_name: 'faq.md',
    });
    expect(files.get('scan.pdf')).toMatchObject({ processing_status: 'error', error_message: 'OCR failed' });
    const full = (
      await c.get(`/v1/folders/${folder.id}/files/${files.get('glossary.txt')!.id}?include_content=true`)
    ).body;
    expect(full.content).toBe(GLOSSARY);
    // The passages were embedded with the folder's model (the fake OpenAI server's embeddings).
    const passages = (await c.get(`/v1/folders/${folder.id}/passages`)).body as Json[];
    expect(passages.length).toBeGreaterThanOrEqual(2);
    expect(ctx.fake.requests.filter((r) => r.path.endsWith('/embeddings')).length).toBeGreaterThan(0);

    const blocks = await blocksOf(c, id);
    expect(blocks.get('ferry-kb/faq.md')).toMatchObject({
      is_open: true,
      value: lettaFolderFixture().agents[0].files_agents[0].visible_content,
    });
    expect(blocks.get('ferry-kb/glossary.txt')).toMatchObject({ is_open: false, value: '' });
    const tools = ((await c.get(`/v1/agents/${id}/tools`)).body as Json[]).map((t) => t.name).sort();
    expect(tools).toEqual(['conversation_search', 'grep_files', 'open_files', 'semantic_search_files']);
    // A closed file is still searched.
    const grep = await callTool(c, id, 'grep_files', { pattern: 'purser' });
    expect(grep.tool_return).toContain('=== ferry-kb/glossary.txt:3 ===');
    // The import's embedding model, when given, is the folder's too.
    const local = await importFile(c, lettaFolderFixture(), { embedding: 'local/hash-embedding-v1' });
    expect(local.status).toBe(200);
    const [localFolder] = (await c.get(`/v1/agents/${local.body.agent_ids[0]}/folders`)).body as Json[];
    expect(localFolder.name).toMatch(/^ferry-kb_[0-9a-f]{8}$/);
    expect(localFolder.embedding_config).toMatchObject({
      handle: 'local/hash-embedding-v1',
      embedding_chunk_size: 300,
    });
    await allSettled(c, localFolder.id);
  });

  it('refuses bad folder and file references with a 4xx naming the place, and writes nothing', async () => {
    const e: TenantApi = await newTenant(new Api(ctx.t.baseUrl), 'af-folders-e');
    const counts = async () => ({
      agents: (await e.get('/v1/agents/count')).body,
      folders: (await e.get('/v1/folders/count')).body,
      jobs: (await e.get('/v1/jobs')).body.length,
    });
    const before = await counts();
    const mutate = (f: (x: Json) => void) => {
      const x = lettaFolderFixture();
      f(x);
      return x;
    };
    const cases: Array<[string, unknown, Record<string, string>, RegExp]> = [
      [
        'file in an unknown folder',
        mutate((x) => (x.files[1].source_id = 'source-9')),
        {},
        /files\[1\]\.source_id: 'source-9' is not a source of the file/,
      ],
      [
        'agent with an unknown folder',
        mutate((x) => (x.agents[0].source_ids = ['source-0', 'source-3'])),
        {},
        /agents\[0\]\.source_ids\[1\]: 'source-3' is not a source of the file/,
      ],
      [
        'view of an unknown file',
        mutate((x) => (x.agents[0].files_agents[1].file_id = 'file-7')),
        {},
        /agents\[0\]\.files_agents\[1\]\.file_id: 'file-7' is not a file of the agent file/,
      ],
      [
        'view naming another folder',
        mutate((x) => (x.agents[0].files_agents[0].source_id = 'source-1')),
        {},
        /agents\[0\]\.files_agents\[0\]\.source_id: 'source-1' is not the folder of 'file-0'/,
      ],
      [
        'view of a folder the agent lacks',
        mutate((x) => (x.agents[0].source_ids = [])),
        {},
        /agents\[0\]\.files_agents\[0\]\.file_id: 'file-0' is in 'source-0', which is not one of the agent's/,
      ],
      [
        'source_ids and folder_ids apart',
        mutate((x) => (x.agents[0].folder_ids = ['source-1'])),
        {},
        /agents\[0\]\.folder_ids: give source_ids or folder_ids/,
      ],
      ['folder without a name', mutate((x) => delete x.sources[0].name), {}, /sources\[0\]: .*name/],
      [
        'folder with an unknown embedding provider',
        mutate((x) => (x.sources[0].embedding_config = { handle: 'nowhere/x', embedding_model: 'x' })),
        {},
        /sources\[0\]: .*nowhere/,
      ],
      [
        'two folders with one id',
        mutate((x) => x.sources.push(x.sources[0])),
        {},
        /sources: the id 'source-0' appears twice/,
      ],
      [
        'one name twice in a folder',
        mutate((x) => (x.files[1].file_name = 'ferry-kb/faq.md')),
        {},
        /files\[1\]\.file_name: 'faq\.md' appears twice in folder 'ferry-kb'/,
      ],
      [
        'bad status',
        mutate((x) => (x.files[0].processing_status = 'done')),
        {},
        /files\[0\]: .*processing_status/,
      ],
      ['unknown file field', mutate((x) => (x.files[0].checksum = 'abc')), {}, /files\[0\]: .*checksum/],
      [
        'bad view field',
        mutate((x) => (x.agents[0].files_agents[0].is_open = 'yes')),
        {},
        /agents\[0\]\.files_agents\[0\]: .*is_open/,
      ],
      // Valid up to the agent, whose model's provider is unknown: the folder written is removed.
      ['unknown provider', lettaFolderFixture(), { model: 'nowhere/x' }, /unknown provider 'nowhere'/],
    ];
    for (const [label, file, fields, detail] of cases) {
      const res = await importFile(e, file, fields);
      expect({ label, status: res.status }).toEqual({ label, status: 422 });
      expect({ label, detail: res.body.detail }).toEqual({ label, detail: expect.stringMatching(detail) });
    }
    expect(await counts()).toEqual(before);
  });
});
