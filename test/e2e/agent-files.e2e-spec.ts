import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';
const ROLL =
  'import os\ndef roll(n: int) -> str:\n    """Rolls n dice.\n\n    Args:\n        n: how many dice\n    """\n    return f"rolled {n} for {os.environ.get(\'PLAYER\', \'nobody\')}"\n';

type Tenant = Api & { orgId: string; userId: string };
type Json = Record<string, any>;

/** POST /v1/agents/import with a multipart form, as the Letta client sends it. */
async function importFile(api: Api, file: unknown, fields: Record<string, string> = {}, headers = {}) {
  const form = new FormData();
  form.append('file', new Blob([typeof file === 'string' ? file : JSON.stringify(file)]), 'agent.af');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(`${api.baseUrl}/v1/agents/import`, {
    method: 'POST',
    headers: { ...api.headers, ...headers },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** A file written by hand after Letta's documented AgentFileSchema (letta/schemas/agent_file.py). */
function lettaFixture(): Json {
  const at = '2025-11-29T02:51:35.713390+00:00';
  const msg = (id: string, role: string, extra: Json) => ({
    type: 'message',
    id,
    role,
    content: [],
    name: null,
    otid: null,
    sender_id: null,
    batch_item_id: null,
    group_id: null,
    model: role === 'user' ? null : 'gpt-4o-mini',
    agent_id: 'agent-0',
    tool_calls: null,
    tool_call_id: null,
    tool_returns: [],
    created_at: at,
    approve: null,
    approval_request_id: null,
    denial_reason: null,
    approvals: [],
    ...extra,
  });
  return {
    agents: [
      {
        name: 'dice-master',
        memory_blocks: [],
        tools: [],
        tool_ids: ['tool-0', 'tool-1'],
        source_ids: [],
        folder_ids: null,
        block_ids: ['block-0', 'block-1'],
        tool_rules: [
          { tool_name: 'roll', type: 'max_count_per_step', max_count_limit: 3, prompt_template: null },
        ],
        tags: ['origin:letta', 'dice'],
        system: 'You are the dice master. You keep score.',
        agent_type: 'letta_v1_agent',
        initial_message_sequence: null,
        include_base_tools: false,
        include_multi_agent_tools: false,
        include_base_tool_rules: false,
        include_default_source: false,
        description: 'Rolls dice and remembers players',
        metadata: { origin: 'letta-cloud' },
        llm_config: {
          model: 'gpt-4o-mini',
          display_name: null,
          model_endpoint_type: 'openai',
          model_endpoint: 'https://api.openai.com/v1',
          provider_name: 'openai',
          provider_category: 'base',
          model_wrapper: null,
          context_window: 128000,
          put_inner_thoughts_in_kwargs: false,
          handle: 'openai/gpt-4o-mini',
          temperature: 0.7,
          max_tokens: 4096,
          enable_reasoner: false,
          reasoning_effort: null,
          max_reasoning_tokens: 0,
          frequency_penalty: null,
          compatibility_type: null,
          verbosity: null,
          tier: null,
          parallel_tool_calls: false,
          response_format: null,
        },
        embedding_config: {
          embedding_endpoint_type: 'openai',
          embedding_endpoint: 'https://api.openai.com/v1',
          embedding_model: 'text-embedding-3-small',
          embedding_dim: 1536,
          embedding_chunk_size: 300,
          handle: 'openai/text-embedding-3-small',
          batch_size: 1024,
          azure_endpoint: null,
          azure_version: null,
          azure_deployment: null,
        },
        model: null,
        embedding: null,
        model_settings: null,
        context_window_limit: null,
        embedding_chunk_size: null,
        max_tokens: null,
        max_reasoning_tokens: null,
        enable_reasoner: false,
        reasoning: null,
        from_template: null,
        template: false,
        project: null,
        tool_exec_environment_variables: { PLAYER: '' },
        secrets: { PLAYER: '' },
        memory_variables: null,
        project_id: null,
        template_id: null,
        base_template_id: null,
        identity_ids: null,
        message_buffer_autoclear: false,
        enable_sleeptime: false,
        response_format: null,
        timezone: 'UTC',
        max_files_open: 5,
        per_file_view_window_char_limit: 15000,
        hidden: null,
        parallel_tool_calls: null,
        id: 'agent-0',
        in_context_message_ids: ['message-0', 'message-1', 'message-2', 'message-3', 'message-4'],
        messages: [
          msg('message-0', 'system', {
            content: [{ type: 'text', text: 'You are the dice master. <memory_blocks>...', signature: null }],
          }),
          msg('message-1', 'user', {
            content: [{ type: 'text', text: 'Roll two dice for Ada.', signature: null }],
          }),
          msg('message-2', 'assistant', {
            content: [
              { type: 'reasoning', is_native: true, reasoning: 'Ada wants two dice.', signature: null },
            ],
            tool_calls: [
              { id: 'call_abc', type: 'function', function: { name: 'roll', arguments: '{"n": 2}' } },
            ],
          }),
          msg('message-3', 'tool', {
            name: 'roll',
            tool_call_id: 'call_abc',
            content: [
              { type: 'text', text: '{"status": "OK", "message": "rolled 2 for ada"}', signature: null },
            ],
            tool_returns: [
              {
                tool_call_id: 'call_abc',
                status: 'success',
                stdout: null,
                stderr: null,
                func_response: '{"status": "OK", "message": "rolled 2 for ada"}',
              },
            ],
          }),
          msg('message-4', 'assistant', {
            content: [{ type: 'text', text: 'Ada rolled a pair of sixes!', signature: null }],
          }),
        ],
        files_agents: [],
        group_ids: [],
      },
    ],
    groups: [],
    blocks: [
      {
        value: 'Ada is winning.',
        limit: 5000,
        project_id: null,
        template_name: null,
        is_template: false,
        template_id: null,
        base_template_id: null,
        deployment_id: null,
        entity_id: null,
        preserve_on_migration: false,
        label: 'human',
        read_only: false,
        description: 'The players',
        metadata: {},
        hidden: null,
        id: 'block-0',
      },
      {
        value: 'A jolly dice master.',
        limit: 5000,
        project_id: null,
        template_name: null,
        is_template: false,
        template_id: null,
        base_template_id: null,
        deployment_id: null,
        entity_id: null,
        preserve_on_migration: false,
        label: 'persona',
        read_only: true,
        description: null,
        metadata: {},
        hidden: null,
        id: 'block-1',
      },
    ],
    files: [],
    sources: [],
    tools: [
      {
        id: 'tool-0',
        tool_type: 'custom',
        description: 'Rolls n dice.',
        source_type: 'python',
        name: 'roll',
        tags: ['dice'],
        source_code: ROLL,
        json_schema: {
          name: 'roll',
          description: 'Rolls n dice.',
          parameters: {
            type: 'object',
            properties: { n: { type: 'integer', description: 'how many dice' } },
            required: ['n'],
          },
        },
        args_json_schema: null,
        return_char_limit: 6000,
        pip_requirements: null,
        npm_requirements: null,
        default_requires_approval: null,
        enable_parallel_execution: false,
        created_by_id: 'user-00000000-0000-4000-8000-000000000000',
        last_updated_by_id: 'user-00000000-0000-4000-8000-000000000000',
        metadata_: {},
      },
      {
        id: 'tool-1',
        tool_type: 'letta_core',
        description: 'Search prior conversation history.',
        source_type: 'python',
        name: 'conversation_search',
        tags: ['letta_core'],
        source_code: null,
        json_schema: { name: 'conversation_search', parameters: { type: 'object', properties: {} } },
        args_json_schema: null,
        return_char_limit: 50000,
        pip_requirements: null,
        npm_requirements: null,
        default_requires_approval: null,
        enable_parallel_execution: false,
        created_by_id: null,
        last_updated_by_id: null,
        metadata_: {},
      },
    ],
    mcp_servers: [],
    skills: [],
    metadata: { revision_id: 'b1c2d3e4f5a6' },
    created_at: '2025-11-29T02:54:22.244058+00:00',
  };
}

describe('agent files: export and import (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let root: Api;
  let a: Tenant;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'default reply' } });
    t = await startTestApp({ OPENAI_API_KEY: 'test', OPENAI_BASE_URL: fake.baseUrl });
    root = new Api(t.baseUrl);
    a = await newTenant(root, 'af-a');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  async function sourceAgent(api: Tenant) {
    const tool = await api.post('/v1/tools', { source_code: ROLL });
    expect(tool.status).toBe(200);
    const agent = await api.post('/v1/agents', {
      name: 'roller',
      model: MODEL,
      system: 'You roll dice.',
      description: 'a dice agent',
      metadata: { team: 'games' },
      tags: ['dice', 'games'],
      memory_blocks: [
        { label: 'human', value: 'The player is Ada.', limit: 1000, description: 'who plays' },
        { label: 'persona', value: 'Cheerful.' },
      ],
      tool_ids: [tool.body.id],
      tool_rules: [{ tool_name: 'roll', type: 'max_count_per_step', max_count_limit: 2 }],
      secrets: { PLAYER: 'ada' },
      timezone: 'Europe/Paris',
    });
    expect(agent.status).toBe(200);
    fake.enqueue({ toolCalls: [{ name: 'roll', arguments: { n: 3 } }] }, { content: 'You rolled three.' });
    const sent = await api.post(`/v1/agents/${agent.body.id}/messages`, { input: 'roll three dice' });
    expect(sent.status).toBe(200);
    return agent.body;
  }

  const history = async (api: Api, agentId: string) =>
    (await api.get(`/v1/agents/${agentId}/messages?order=asc&limit=100`)).body.map((m: Json) => ({
      type: m.message_type,
      text: m.content ?? m.tool_call?.arguments ?? m.tool_return ?? m.reasoning ?? null,
    }));

  it('exports an agent as a Letta agent file: config, blocks, tools with source, rules, history', async () => {
    const agent = await sourceAgent(a);
    const res = await fetch(`${t.baseUrl}/v1/agents/${agent.id}/export`, { headers: a.headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const file = (await res.json()) as Json;
    expect(Object.keys(file).sort()).toEqual(
      [
        'agents',
        'blocks',
        'created_at',
        'files',
        'groups',
        'mcp_servers',
        'metadata',
        'skills',
        'sources',
        'tools',
      ].sort(),
    );
    const [af] = file.agents;
    expect(af).toMatchObject({
      id: 'agent-0',
      name: 'roller',
      system: 'You roll dice.',
      agent_type: 'letta_v1_agent',
      description: 'a dice agent',
      metadata: { team: 'games' },
      tags: ['dice', 'games'],
      timezone: 'Europe/Paris',
      tool_rules: [{ tool_name: 'roll', type: 'max_count_per_step', max_count_limit: 2 }],
      secrets: { PLAYER: '' }, // values never leave the server
      tool_exec_environment_variables: { PLAYER: '' },
      llm_config: expect.objectContaining({ handle: MODEL, model: 'gpt-4o-mini' }),
      files_agents: [],
      group_ids: [],
    });
    expect(JSON.stringify(file)).not.toContain('"ada"');
    const tools = new Map(file.tools.map((x: Json) => [x.id, x]));
    expect(af.tool_ids.map((id: string) => (tools.get(id) as Json).name).sort()).toEqual(
      [...agent.tools.map((x: Json) => x.name)].sort(),
    );
    const roll = file.tools.find((x: Json) => x.name === 'roll');
    expect(roll).toMatchObject({ tool_type: 'custom', source_type: 'python', source_code: ROLL });
    expect(roll.id).toMatch(/^tool-\d+$/);
    const blocks = new Map(file.blocks.map((b: Json) => [b.id, b]));
    expect(af.block_ids.map((id: string) => (blocks.get(id) as Json).label)).toEqual(['human', 'persona']);
    expect(blocks.get(af.block_ids[0])).toMatchObject({
      value: 'The player is Ada.',
      limit: 1000,
      description: 'who plays',
    });
    // The history as stored: system, the user's message, the tool call and its return, the
    // loop's heartbeat, the reply.
    const stored = (await a.get(`/v1/agents/${agent.id}/messages?order=asc&limit=100`)).body;
    expect(af.messages.map((m: Json) => m.role).slice(0, 4)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(af.messages.at(-1).role).toBe('assistant');
    expect(af.messages.map((m: Json) => m.id)).toEqual(
      af.messages.map((_: Json, i: number) => `message-${i}`),
    );
    expect(new Set(stored.map((m: Json) => m.id.replace(/-\d+$/, ''))).size).toBe(af.messages.length);
    expect(af.messages[2].tool_calls).toEqual([
      { id: expect.any(String), type: 'function', function: { name: 'roll', arguments: '{"n":3}' } },
    ]);
    expect(af.messages[3].tool_returns[0]).toMatchObject({
      tool_call_id: af.messages[2].tool_calls[0].id,
      status: 'success',
      func_response: expect.stringContaining('rolled 3 for ada'),
    });
    expect(af.in_context_message_ids).toEqual(af.messages.map((m: Json) => m.id));

    const scrubbed = (await a.get(`/v1/agents/${agent.id}/export?scrub_messages=true`)).body;
    expect(scrubbed.agents[0].messages).toEqual([]);
    expect(scrubbed.agents[0].in_context_message_ids).toEqual([]);
  });

  it('round-trips: export, import into a fresh organization, and talk to the imported agent', async () => {
    const a2 = await newTenant(root, 'af-a2');
    const agent = await sourceAgent(a2);
    const file = (await a2.get(`/v1/agents/${agent.id}/export`)).body;
    const b = await newTenant(root, 'af-b');
    const imported = await importFile(b, file, { secrets: JSON.stringify({ PLAYER: 'bob' }) });
    expect(imported.status).toBe(200);
    expect(imported.body).toEqual({ agent_ids: [expect.stringMatching(/^agent-/)] });
    const [id] = imported.body.agent_ids;
    expect(id).not.toBe(agent.id);

    const copy = (await b.get(`/v1/agents/${id}`)).body;
    expect(copy).toMatchObject({
      name: 'roller_copy',
      system: agent.system,
      description: 'a dice agent',
      metadata: { team: 'games' },
      tags: ['dice', 'games'],
      timezone: 'Europe/Paris',
      tool_rules: agent.tool_rules,
      agent_type: agent.agent_type,
      model: MODEL,
    });
    expect(copy.llm_config).toEqual(agent.llm_config);
    expect(copy.blocks.map((x: Json) => [x.label, x.value, x.limit])).toEqual(
      agent.blocks.map((x: Json) => [x.label, x.value, x.limit]),
    );
    expect(copy.blocks.every((x: Json) => !agent.blocks.some((y: Json) => y.id === x.id))).toBe(true);
    expect(copy.tools.map((x: Json) => x.name).sort()).toEqual(agent.tools.map((x: Json) => x.name).sort());
    expect(copy.tools.find((x: Json) => x.name === 'roll').source_code).toBe(ROLL);
    expect(copy.secrets.map((s: Json) => [s.key, s.value])).toEqual([['PLAYER', 'bob']]);
    expect(await history(b, id)).toEqual(await history(a2, agent.id));
    expect(copy.message_ids).toHaveLength((await a2.get(`/v1/agents/${agent.id}`)).body.message_ids.length);

    // The imported agent works: its history is in context and its tool runs with the new secret.
    fake.enqueue({ toolCalls: [{ name: 'roll', arguments: { n: 1 } }] }, { content: 'One more for Bob.' });
    const sent = await b.post(`/v1/agents/${id}/messages`, { input: 'and one more' });
    expect(sent.status).toBe(200);
    expect(sent.body.stop_reason.stop_reason).toBe('end_turn');
    const ret = sent.body.messages.find((m: Json) => m.message_type === 'tool_return_message');
    expect(ret.tool_return).toContain('rolled 1 for bob');
    const prompt = fake.chatRequests[0].body.messages.map((m: Json) => JSON.stringify(m.content)).join('\n');
    expect(prompt).toContain('roll three dice');
    expect(prompt).toContain('The player is Ada.');

    // Another organization's agent cannot be exported; unknown and malformed ids are refused.
    expect((await b.get(`/v1/agents/${agent.id}/export`)).status).toBe(404);
    expect((await a2.get(`/v1/agents/${id}/export`)).status).toBe(404);
    expect((await a2.get('/v1/agents/agent-00000000-0000-4000-8000-000000000000/export')).status).toBe(404);
    expect((await a2.get('/v1/agents/nope/export')).status).toBe(422);
    expect((await a2.get(`/v1/agents/${agent.id}/export?use_legacy_format=true`)).status).toBe(400);
    expect((await a2.get(`/v1/agents/${agent.id}/export?conversation_id=conv-1`)).status).toBe(404);
    expect((await a2.get(`/v1/agents/${agent.id}/export?surprise=1`)).status).toBe(422);
  });

  it('imports a file in Letta’s own format and the agent answers', async () => {
    const c = await newTenant(root, 'af-c');
    const res = await importFile(c, lettaFixture(), {
      name: 'dice-imported',
      secrets: JSON.stringify({ PLAYER: 'cy' }),
      project_id: 'proj-7',
    });
    expect(res.status).toBe(200);
    const [id] = res.body.agent_ids;
    const agent = (await c.get(`/v1/agents/${id}`)).body;
    expect(agent).toMatchObject({
      name: 'dice-imported',
      system: 'You are the dice master. You keep score.',
      description: 'Rolls dice and remembers players',
      tags: ['dice', 'origin:letta'],
      project_id: 'proj-7',
      max_files_open: 5,
      tool_rules: [{ tool_name: 'roll', type: 'max_count_per_step', max_count_limit: 3 }],
    });
    expect(agent.llm_config).toMatchObject({
      model: 'gpt-4o-mini',
      context_window: 128000,
      max_tokens: 4096,
    });
    expect(agent.blocks.map((x: Json) => [x.label, x.value, x.read_only])).toEqual([
      ['human', 'Ada is winning.', false],
      ['persona', 'A jolly dice master.', true],
    ]);
    expect(agent.tools.map((x: Json) => [x.name, x.tool_type]).sort()).toEqual([
      ['conversation_search', 'letta_core'],
      ['roll', 'custom'],
    ]);
    expect(agent.tools.find((x: Json) => x.name === 'roll')).toMatchObject({
      source_code: ROLL,
      return_char_limit: 6000,
    });
    expect(agent.secrets.map((s: Json) => [s.key, s.value])).toEqual([['PLAYER', 'cy']]);
    expect(await history(c, id)).toEqual([
      { type: 'system_message', text: 'You are the dice master. <memory_blocks>...' },
      { type: 'user_message', text: 'Roll two dice for Ada.' },
      { type: 'reasoning_message', text: 'Ada wants two dice.' },
      { type: 'tool_call_message', text: '{"n": 2}' },
      { type: 'tool_return_message', text: 'rolled 2 for ada' },
      { type: 'assistant_message', text: 'Ada rolled a pair of sixes!' },
    ]);

    fake.enqueue({ content: 'Welcome back!' });
    const sent = await c.post(`/v1/agents/${id}/messages`, { input: 'hello again' });
    expect(sent.status).toBe(200);
    expect(sent.body.messages.find((m: Json) => m.message_type === 'assistant_message').content).toBe(
      'Welcome back!',
    );
    const sentTo = fake.chatRequests[0].body.messages;
    expect(sentTo[0].content).toContain('Ada is winning.');
    expect(sentTo.some((m: Json) => m.tool_calls?.[0]?.id === 'call_abc')).toBe(true);
    expect(sentTo.some((m: Json) => m.role === 'tool' && m.tool_call_id === 'call_abc')).toBe(true);

    // strip_messages leaves the history out: the agent starts with its system message only.
    const stripped = await importFile(c, lettaFixture(), {
      strip_messages: 'true',
      append_copy_suffix: 'false',
    });
    const bare = (await c.get(`/v1/agents/${stripped.body.agent_ids[0]}`)).body;
    expect(bare.name).toBe('dice-master');
    expect((await history(c, bare.id)).map((m: Json) => m.type)).toEqual(['system_message']);
    // A double-encoded file (a JSON string of the file) is read too, as Letta does.
    const twice = await importFile(c, JSON.stringify(JSON.stringify(lettaFixture())));
    expect(twice.status).toBe(200);
    expect((await c.get(`/v1/agents/${twice.body.agent_ids[0]}`)).body.name).toBe('dice-master_copy');
  });

  it('overwrites an existing custom tool only when override_existing_tools says so', async () => {
    const d = await newTenant(root, 'af-d');
    const old = 'def roll(n: int) -> str:\n    """Old roll."""\n    return "old"\n';
    const mine = (await d.post('/v1/tools', { source_code: old })).body;
    const kept = await importFile(d, lettaFixture(), { override_existing_tools: 'false' });
    expect(kept.status).toBe(200);
    const keptAgent = (await d.get(`/v1/agents/${kept.body.agent_ids[0]}`)).body;
    expect(keptAgent.tools.find((x: Json) => x.name === 'roll').id).toBe(mine.id);
    expect((await d.get(`/v1/tools/${mine.id}`)).body.source_code).toBe(old);
    const replaced = await importFile(d, lettaFixture());
    expect(replaced.status).toBe(200);
    expect((await d.get(`/v1/tools/${mine.id}`)).body.source_code).toBe(ROLL);
    expect((await d.get('/v1/tools?name=roll')).body).toHaveLength(1);
  });

  it('refuses bad files and fields with a 4xx naming the problem, and writes nothing', async () => {
    const e = await newTenant(root, 'af-e');
    const counts = async () => ({
      agents: (await e.get('/v1/agents/count')).body,
      blocks: (await e.get('/v1/blocks')).body.length,
      tools: (await e.get('/v1/tools/count')).body,
    });
    await e.get('/v1/tools'); // the base tools exist before counting
    const before = await counts();
    const mutate = (f: (x: Json) => void) => {
      const x = lettaFixture();
      f(x);
      return x;
    };
    const cases: Array<[string, unknown, Record<string, string>, number, RegExp]> = [
      ['not JSON', '{"agents": [', {}, 400, /not valid JSON/],
      ['legacy format', { agent_type: 'memgpt_agent', core_memory: [] }, {}, 400, /AgentFileSchema/],
      ['no agents', mutate((x) => (x.agents = [])), {}, 422, /agents: the file holds no agent/],
      [
        'missing tool',
        mutate((x) => x.agents[0].tool_ids.push('tool-9')),
        {},
        422,
        /agents\[0\]\.tool_ids: 'tool-9'/,
      ],
      [
        'missing block',
        mutate((x) => (x.agents[0].block_ids = ['block-7'])),
        {},
        422,
        /agents\[0\]\.block_ids/,
      ],
      ['groups', mutate((x) => x.groups.push({ id: 'group-0' })), {}, 422, /groups: multi-agent groups/],
      [
        'folder without a name',
        mutate((x) => x.sources.push({ id: 'source-0' })),
        {},
        422,
        /sources\[0\]: .*name/,
      ],
      ['unknown field', mutate((x) => (x.agents[0].warp_drive = 'on')), {}, 422, /agents\[0\].*warp_drive/],
      ['bad block', mutate((x) => (x.blocks[0].limit = 3)), {}, 422, /limit of 3/],
      [
        'bad rule',
        mutate((x) => (x.agents[0].tool_rules = [{ type: 'teleport' }])),
        {},
        422,
        /agents\[0\].*tool_rules/,
      ],
      [
        'bad message role',
        mutate((x) => (x.agents[0].messages[1].role = 'narrator')),
        {},
        422,
        /messages\[1\]\.role/,
      ],
      [
        'bad in-context id',
        mutate((x) => x.agents[0].in_context_message_ids.push('message-99')),
        {},
        422,
        /message-99/,
      ],
      [
        'unknown built-in',
        mutate((x) => (x.tools[1].name = 'web_search')),
        {},
        422,
        /built-in tool 'web_search'/,
      ],
      [
        'source without code',
        mutate((x) => (x.tools[0].source_code = null)),
        {},
        422,
        /tools\[0\]\.source_code/,
      ],
      ['source and name apart', mutate((x) => (x.tools[0].name = 'dice')), {}, 422, /tools\[0\]/],
      ['unknown form field', lettaFixture(), { warp: 'on' }, 422, /warp/],
      ['bad secrets', lettaFixture(), { secrets: '{nope' }, 400, /secrets must be a JSON object/],
      ['bad model', lettaFixture(), { model: 'gpt-4o' }, 422, /model must be a handle/],
      // A file valid up to the agent, whose model provider is unknown: created rows are removed again.
      ['unknown provider', lettaFixture(), { model: 'nowhere/x' }, 422, /unknown provider 'nowhere'/],
    ];
    for (const [label, file, fields, status, detail] of cases) {
      const res = await importFile(e, file, fields);
      expect({ label, status: res.status }).toEqual({ label, status });
      expect({ label, detail: res.body.detail }).toEqual({ label, detail: expect.stringMatching(detail) });
    }
    // Not multipart, or without a file.
    const json = await e.post('/v1/agents/import', lettaFixture());
    expect(json.status).toBe(415);
    const form = new FormData();
    form.append('name', 'x');
    const noFile = await fetch(`${t.baseUrl}/v1/agents/import`, {
      method: 'POST',
      headers: e.headers,
      body: form,
    });
    expect(noFile.status).toBe(422);
    expect(((await noFile.json()) as Json).detail).toMatch(/file/);
    expect(await counts()).toEqual(before);
  });
});

describe('agent files: the upload is bounded by ENGRAM_BODY_LIMIT_MB (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ENGRAM_BODY_LIMIT_MB: '0.05' });
  });
  afterAll(() => t.close());

  it('answers 413 to a larger file and creates nothing', async () => {
    const api = await newTenant(new Api(t.baseUrl), 'af-limit');
    const big = lettaFixture();
    big.blocks[0].value = 'x'.repeat(100_000);
    big.blocks[0].limit = 200_000;
    const res = await importFile(api, big);
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/limit/i);
    expect((await api.get('/v1/agents/count')).body).toBe(0);
    expect((await importFile(api, lettaFixture())).status).toBe(200);
  });
});
