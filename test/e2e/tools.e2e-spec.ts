import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';
const EMBEDDING = 'local/hash-embedding-v1';

const pySource = (name: string, body = 'return f"{city}: sunny"') => `
def ${name}(city: str, days: int = 1) -> str:
    """Get the weather forecast.

    Args:
        city: The city to look up.
        days: How many days ahead.
    """
    ${body}
`;

describe('tools CRUD, schema and attach (e2e)', () => {
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  let other: Api & { orgId: string; userId: string };

  beforeAll(async () => {
    t = await startTestApp();
    const root = new Api(t.baseUrl);
    api = await newTenant(root, 'tools');
    other = await newTenant(root, 'tools-other');
  });
  afterAll(() => t.close());

  const newAgent = async (as: Api = api, extra: Record<string, unknown> = {}) => {
    const r = await as.post('/v1/agents/', { model: MODEL, embedding: EMBEDDING, ...extra });
    expect(r.status).toBe(200);
    return r.body;
  };

  it('creates a Python tool with a schema derived from its signature and docstring', async () => {
    const r = await api.post('/v1/tools/', {
      source_code: pySource('get_weather'),
      tags: ['weather'],
      return_char_limit: 1000,
      pip_requirements: [{ name: 'requests', version: '2.32.0' }],
      default_requires_approval: false,
      enable_parallel_execution: true,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'get_weather',
      description: 'Get the weather forecast.',
      tool_type: 'custom',
      source_type: 'python',
      tags: ['weather'],
      return_char_limit: 1000,
      pip_requirements: [{ name: 'requests', version: '2.32.0' }],
      npm_requirements: null,
      default_requires_approval: false,
      enable_parallel_execution: true,
      metadata_: {},
      created_by_id: api.userId,
      json_schema: {
        name: 'get_weather',
        description: 'Get the weather forecast.',
        parameters: {
          type: 'object',
          properties: {
            city: { type: 'string', description: 'The city to look up.' },
            days: { type: 'integer', description: 'How many days ahead.' },
          },
          required: ['city'],
        },
      },
    });
    expect(r.body.id).toMatch(/^tool-[0-9a-f-]{36}$/);

    const got = await api.get(`/v1/tools/${r.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(r.body);
  });

  it('answers 409 for a duplicate name, and PUT upserts by name', async () => {
    const first = await api.post('/v1/tools/', { source_code: pySource('dup_tool') });
    expect(first.status).toBe(200);
    const again = await api.post('/v1/tools/', { source_code: pySource('dup_tool') });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain("'dup_tool'");
    // Another tenant may use the name.
    expect((await other.post('/v1/tools/', { source_code: pySource('dup_tool') })).status).toBe(200);

    const upserted = await api.put('/v1/tools/', {
      source_code: pySource('dup_tool', 'return "changed"'),
      description: 'now different',
    });
    expect(upserted.status).toBe(200);
    expect(upserted.body.id).toBe(first.body.id);
    expect(upserted.body.description).toBe('now different');
    expect(upserted.body.source_code).toContain('changed');
    const created = await api.put('/v1/tools/', { source_code: pySource('fresh_upsert') });
    expect(created.status).toBe(200);
    expect(created.body.id).not.toBe(first.body.id);
  });

  it.each([
    [
      'python',
      'def add(a: int, b: float = 1.5) -> float:\n    return a + b\n',
      { a: { type: 'integer' }, b: { type: 'number' } },
      ['a'],
    ],
    [
      'python',
      'from typing import Optional, List\ndef tagit(tags: List[str], note: Optional[str] = None):\n    return tags\n',
      { tags: { type: 'array', items: { type: 'string' } }, note: { type: 'string' } },
      ['tags'],
    ],
    [
      'python',
      'def flag(on: bool, opts: dict):\n    return on\n',
      { on: { type: 'boolean' }, opts: { type: 'object' } },
      ['on', 'opts'],
    ],
    [
      'typescript',
      '/** Adds. @param a first @param b second */\nexport function ts_add(a: number, b: number): number { return a + b; }',
      { a: { type: 'number' }, b: { type: 'number' } },
      ['a', 'b'],
    ],
    [
      'typescript',
      'export function ts_greet(name: string, loud?: boolean): string { return name; }',
      { name: { type: 'string' }, loud: { type: 'boolean' } },
      ['name'],
    ],
    [
      'typescript',
      'export function ts_list(items: string[], mode: "a" | "b"): number { return items.length; }',
      { items: { type: 'array', items: { type: 'string' } }, mode: { type: 'string', enum: ['a', 'b'] } },
      ['items', 'mode'],
    ],
  ])('derives the schema of a %s tool', async (source_type, source_code, properties, required) => {
    const r = await api.post('/v1/tools/', { source_code, source_type });
    expect(r.status).toBe(200);
    expect(r.body.source_type).toBe(source_type);
    expect(r.body.json_schema.parameters).toMatchObject({ type: 'object', required });
    expect(r.body.json_schema.parameters.properties).toMatchObject(properties);
  });

  it.each([
    ['no function', { source_code: 'x = 1\n' }, /No top-level function/],
    ['a syntax error', { source_code: 'def broken(a: int:\n    return a\n' }, /syntax error/i],
    [
      'an unsupported type',
      { source_code: 'import socket\ndef f(s: socket.socket):\n    return 1\n' },
      /unsupported type/,
    ],
    ['a missing annotation', { source_code: 'def f(a):\n    return a\n' }, /no type annotation/],
    [
      'a TS syntax error',
      { source_type: 'typescript', source_code: 'export function f(a: number { return a }' },
      /syntax error/i,
    ],
    ['an unknown source_type', { source_type: 'ruby', source_code: 'def f; end' }, /source_type/],
    ['an unknown field', { source_code: pySource('unknown_field'), surprise: 1 }, /surprise/],
    [
      'a json_schema without parameters',
      { source_code: pySource('js1'), json_schema: { name: 'js1' } },
      /parameters/,
    ],
    [
      'a json_schema with a bad name',
      { source_code: pySource('js2'), json_schema: { name: '1 bad', parameters: { type: 'object' } } },
      /name/,
    ],
    [
      'a json_schema naming no function',
      {
        source_code: pySource('js3'),
        json_schema: { name: 'other', parameters: { type: 'object', properties: {} } },
      },
      /other/,
    ],
    ['a return_char_limit of 0', { source_code: pySource('rcl'), return_char_limit: 0 }, /return_char_limit/],
  ])('answers 422 for %s, naming the problem', async (_what, body, detail) => {
    const r = await api.post('/v1/tools/', body);
    expect(r.status).toBe(422);
    expect(r.body.detail).toMatch(detail);
  });

  it('takes a given json_schema as is', async () => {
    const json_schema = {
      name: 'given_schema',
      description: 'From the client',
      parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    };
    const r = await api.post('/v1/tools/', {
      source_code: 'def given_schema(q):\n    return q\n',
      json_schema,
    });
    expect(r.status).toBe(200);
    expect(r.body.json_schema).toEqual(json_schema);
    expect(r.body.description).toBe('From the client');
  });

  it('patches a tool: new source re-derives the schema, built-in tools are read-only', async () => {
    const made = await api.post('/v1/tools/', { source_code: pySource('patch_me') });
    const patched = await api.patch(`/v1/tools/${made.body.id}`, {
      source_code: 'def patched_name(x: int) -> int:\n    """Doubles."""\n    return 2 * x\n',
      tags: ['t2'],
      metadata_: { v: 2 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'patched_name',
      description: 'Doubles.',
      tags: ['t2'],
      metadata_: { v: 2 },
    });
    expect(patched.body.json_schema.parameters.properties).toEqual({ x: { type: 'integer' } });
    const limit = await api.patch(`/v1/tools/${made.body.id}`, { return_char_limit: 77 });
    expect(limit.body).toMatchObject({ name: 'patched_name', return_char_limit: 77 });
    const bad = await api.patch(`/v1/tools/${made.body.id}`, { source_code: 'def (' });
    expect(bad.status).toBe(422);
    const clash = await api.patch(`/v1/tools/${made.body.id}`, { source_code: pySource('get_weather') });
    expect(clash.status).toBe(409);

    const base = (await api.get('/v1/tools/?name=memory_insert')).body[0];
    expect(base.tool_type).toBe('letta_memory_core');
    expect((await api.patch(`/v1/tools/${base.id}`, { description: 'x' })).status).toBe(400);
    expect((await api.delete(`/v1/tools/${base.id}`)).status).toBe(400);
  });

  it('lists with filters and pages, counts, and searches by text', async () => {
    const all = await api.get('/v1/tools/?limit=1000');
    expect(all.status).toBe(200);
    const names = all.body.map((x: { name: string }) => x.name);
    expect(names).toEqual(expect.arrayContaining(['get_weather', 'memory_insert', 'send_message']));

    const custom = await api.get('/v1/tools/?tool_types=custom&limit=1000');
    expect(custom.body.every((x: { tool_type: string }) => x.tool_type === 'custom')).toBe(true);
    const letta = await api.get('/v1/tools/?return_only_letta_tools=true&limit=1000');
    expect(letta.body.every((x: { tool_type: string }) => x.tool_type.startsWith('letta_'))).toBe(true);
    const excluded = await api.get('/v1/tools/?exclude_tool_types=custom,letta_core&limit=1000');
    expect(
      excluded.body.some((x: { tool_type: string }) => ['custom', 'letta_core'].includes(x.tool_type)),
    ).toBe(false);
    expect((await api.get('/v1/tools/?search=WEATH')).body.map((x: { name: string }) => x.name)).toEqual([
      'get_weather',
    ]);
    const byNames = await api.get('/v1/tools/?names=get_weather&names=dup_tool');
    expect(byNames.body.map((x: { name: string }) => x.name).sort()).toEqual(['dup_tool', 'get_weather']);
    const weather = byNames.body.find((x: { name: string }) => x.name === 'get_weather');
    expect((await api.get(`/v1/tools/?tool_ids=${weather.id}`)).body).toHaveLength(1);
    expect((await api.get('/v1/tools/?tool_ids=nope')).status).toBe(422);

    const page1 = await api.get('/v1/tools/?limit=2&order=asc');
    const page2 = await api.get(`/v1/tools/?limit=2&order=asc&after=${page1.body[1].id}`);
    expect(page2.body[0].id).toBe(all.body[all.body.length - 3].id);

    const count = await api.get('/v1/tools/count');
    expect(count.body).toBe(all.body.length);

    const found = await api.post('/v1/tools/search', { query: 'weather forecast', limit: 5 });
    expect(found.status).toBe(200);
    expect(found.body[0]).toMatchObject({ tool: { name: 'get_weather' }, fts_rank: 1 });
    expect(found.body[0].combined_score).toBeGreaterThan(0);
    const byType = await api.post('/v1/tools/search', { query: 'memory', tool_types: ['letta_memory_core'] });
    expect(byType.body.length).toBeGreaterThan(0);
    expect(
      byType.body.every((r: { tool: { tool_type: string } }) => r.tool.tool_type === 'letta_memory_core'),
    ).toBe(true);
  });

  it('keeps tenants apart and validates ids', async () => {
    const mine = (await api.get('/v1/tools/?name=get_weather')).body[0];
    expect((await other.get(`/v1/tools/${mine.id}`)).status).toBe(404);
    expect((await other.patch(`/v1/tools/${mine.id}`, { description: 'x' })).status).toBe(404);
    expect((await other.delete(`/v1/tools/${mine.id}`)).status).toBe(404);
    expect((await other.get('/v1/tools/?name=get_weather')).body).toEqual([]);
    expect((await api.get('/v1/tools/not-a-tool')).status).toBe(422);
    expect((await api.get('/v1/tools/tool-00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const agent = await newAgent(other);
    expect((await other.patch(`/v1/agents/${agent.id}/tools/attach/${mine.id}`)).status).toBe(404);
    expect((await api.patch(`/v1/agents/${agent.id}/tools/attach/${mine.id}`)).status).toBe(404);
    expect((await api.get(`/v1/agents/${agent.id}/tools`)).status).toBe(404);
  });

  it('attaches, lists and detaches an agent tool; deleting a tool detaches it', async () => {
    const tool = (await api.post('/v1/tools/', { source_code: pySource('attach_me') })).body;
    const agent = await newAgent(api, { include_base_tools: false });
    expect((await api.get(`/v1/agents/${agent.id}/tools`)).body).toEqual([]);
    const attached = await api.patch(`/v1/agents/${agent.id}/tools/attach/${tool.id}`);
    expect(attached.status).toBe(200);
    expect(attached.body.id).toBe(agent.id);
    expect(attached.body.tools.map((x: { name: string }) => x.name)).toEqual(['attach_me']);
    // Attaching twice is harmless.
    expect((await api.patch(`/v1/agents/${agent.id}/tools/attach/${tool.id}`)).status).toBe(200);
    const listed = await api.get(`/v1/agents/${agent.id}/tools`);
    expect(listed.body.map((x: { id: string }) => x.id)).toEqual([tool.id]);

    const detached = await api.patch(`/v1/agents/${agent.id}/tools/detach/${tool.id}`);
    expect(detached.status).toBe(200);
    expect(detached.body.tools).toEqual([]);

    await api.patch(`/v1/agents/${agent.id}/tools/attach/${tool.id}`);
    expect((await api.delete(`/v1/tools/${tool.id}`)).status).toBe(200);
    expect((await api.get(`/v1/tools/${tool.id}`)).status).toBe(404);
    expect((await api.get(`/v1/agents/${agent.id}/tools`)).body).toEqual([]);
  });

  it('pages an agent tool list in attachment order', async () => {
    const agent = await newAgent(api);
    const all = (await api.get(`/v1/agents/${agent.id}/tools?limit=100`)).body;
    expect(all.length).toBeGreaterThan(3);
    const first = (await api.get(`/v1/agents/${agent.id}/tools?limit=2`)).body;
    expect(first.map((x: { id: string }) => x.id)).toEqual(all.slice(0, 2).map((x: { id: string }) => x.id));
    const next = (await api.get(`/v1/agents/${agent.id}/tools?limit=2&after=${first[1].id}`)).body;
    expect(next[0].id).toBe(all[2].id);
  });

  it('turns an agent tool approval rule on and off; default_requires_approval adds it on attach', async () => {
    const tool = (
      await api.post('/v1/tools/', { source_code: pySource('risky_tool'), default_requires_approval: true })
    ).body;
    const agent = await newAgent(api, { include_base_tools: false });
    const attached = await api.patch(`/v1/agents/${agent.id}/tools/attach/${tool.id}`);
    expect(attached.body.tool_rules).toContainEqual({ type: 'requires_approval', tool_name: 'risky_tool' });

    const off = await api.patch(`/v1/agents/${agent.id}/tools/approval/risky_tool`, {
      requires_approval: false,
    });
    expect(off.status).toBe(200);
    expect(off.body.tool_rules.filter((r: { type: string }) => r.type === 'requires_approval')).toEqual([]);
    // What the official client sends (body_requires_approval), and the deprecated query form.
    const on = await api.patch(`/v1/agents/${agent.id}/tools/approval/risky_tool`, {
      body_requires_approval: true,
    });
    expect(on.body.tool_rules).toContainEqual({ type: 'requires_approval', tool_name: 'risky_tool' });
    const q = await api.request(
      'PATCH',
      `/v1/agents/${agent.id}/tools/approval/risky_tool?requires_approval=false`,
      {},
    );
    expect(q.body.tool_rules).not.toContainEqual({ type: 'requires_approval', tool_name: 'risky_tool' });
    expect(
      (await api.patch(`/v1/agents/${agent.id}/tools/approval/not_attached`, { requires_approval: true }))
        .status,
    ).toBe(404);
    expect((await api.patch(`/v1/agents/${agent.id}/tools/approval/risky_tool`, {})).status).toBe(422);
  });

  it('validates tool_rules on agent create and update (422 naming the rule)', async () => {
    const bad = await api.post('/v1/agents/', {
      model: MODEL,
      embedding: EMBEDDING,
      tool_rules: [
        { type: 'exit_loop', tool_name: 'send_message' },
        { type: 'constrain_child_tools', tool_name: 'a' },
      ],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toContain('tool_rules[1].children');
    const agent = await newAgent(api, {
      tool_rules: [
        { type: 'run_first', tool_name: 'get_weather' },
        { type: 'max_count_per_step', tool_name: 'get_weather', max_count_limit: 1 },
      ],
    });
    expect(agent.tool_rules).toEqual([
      { type: 'run_first', tool_name: 'get_weather' },
      { type: 'max_count_per_step', tool_name: 'get_weather', max_count_limit: 1 },
    ]);
    const patched = await api.patch(`/v1/agents/${agent.id}`, {
      tool_rules: [{ type: 'nope', tool_name: 'x' }],
    });
    expect(patched.status).toBe(422);
    expect(patched.body.detail).toContain('tool_rules[0].type');
    const unchanged = await api.get(`/v1/agents/${agent.id}`);
    expect(unchanged.body.tool_rules).toHaveLength(2);
  });
});
