import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { McpClientPool } from '../../src/mcp/mcp-client.pool';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { FakeOpenAiServer } from '../support/fake-openai';
import { TestMcpHttpServer } from '../support/mcp-http-server';

const STDIO_SCRIPT = join(__dirname, '..', 'support', 'mcp-stdio-server.mjs');
const MODEL = 'openai/gpt-4o-mini';
const EMBEDDING = 'local/hash-embedding-v1';
const UNKNOWN_SERVER = 'mcp_server-00000000-0000-4000-8000-000000000000';

type Tenant = Api & { orgId: string; userId: string };

describe('MCP servers (e2e)', () => {
  let t: TestApp;
  let mcp: TestMcpHttpServer;
  let root: Api;
  let fake: FakeOpenAiServer;

  beforeAll(async () => {
    mcp = await TestMcpHttpServer.start();
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'ok' } });
    t = await startTestApp({
      ENGRAM_MCP_CALL_TIMEOUT_MS: '1500',
      ENGRAM_MCP_CONNECT_TIMEOUT_MS: '3000',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: fake.baseUrl,
    });
    root = new Api(t.baseUrl);
  });
  afterAll(async () => {
    await t.close();
    await mcp.close();
    await fake.close();
  });

  const httpServer = async (api: Api, name = 'test-http', extra: Record<string, unknown> = {}) => {
    const r = await api.post('/v1/mcp-servers/', {
      server_name: name,
      config: { mcp_server_type: 'streamable_http', server_url: mcp.url, ...extra },
    });
    expect(r.status).toBe(200);
    return r.body as { id: string; server_name: string };
  };
  const toolsOf = async (api: Api, serverId: string) => {
    const r = await api.get(`/v1/mcp-servers/${serverId}/tools`);
    expect(r.status).toBe(200);
    return r.body as Array<Record<string, any>>;
  };
  const toolNamed = async (api: Api, serverId: string, name: string) => {
    const tool = (await toolsOf(api, serverId)).find((x) => x.name === name);
    expect(tool).toBeDefined();
    return tool!;
  };

  describe('CRUD', () => {
    let api: Tenant;
    let other: Tenant;
    beforeAll(async () => {
      api = await newTenant(root, 'mcp-crud');
      other = await newTenant(root, 'mcp-crud-other');
    });

    it('creates a streamable HTTP server in Letta shape and loads its tools on create', async () => {
      const r = await api.post('/v1/mcp-servers/', {
        server_name: 'crud-http',
        config: {
          mcp_server_type: 'streamable_http',
          server_url: mcp.url,
          auth_header: 'Authorization',
          auth_token: 'Bearer tok-123',
          custom_headers: { 'X-Custom': 'yes' },
        },
      });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        id: expect.stringMatching(/^mcp_server-[0-9a-f-]{36}$/),
        server_name: 'crud-http',
        mcp_server_type: 'streamable_http',
        server_url: mcp.url,
        auth_header: 'Authorization',
        auth_token: 'Bearer tok-123',
        custom_headers: { 'X-Custom': 'yes' },
      });
      const tools = await toolsOf(api, r.body.id);
      expect(tools.map((x) => x.name).sort()).toEqual(['add', 'echo', 'fail', 'sleep', 'whoami']);
      const add = tools.find((x) => x.name === 'add')!;
      expect(add).toMatchObject({
        id: expect.stringMatching(/^tool-/),
        tool_type: 'external_mcp',
        description: 'Add two numbers',
        tags: ['mcp:crud-http'],
        metadata_: { mcp: { server_name: 'crud-http', server_id: r.body.id, tool_name: 'add' } },
        json_schema: {
          name: 'add',
          description: 'Add two numbers',
          parameters: {
            type: 'object',
            properties: { a: { type: 'number' }, b: { type: 'number' } },
            required: ['a', 'b'],
          },
        },
      });
      expect(add.json_schema.parameters.$schema).toBeUndefined();

      // The token and headers reach the MCP server.
      const whoami = tools.find((x) => x.name === 'whoami')!;
      const run = await api.post(`/v1/mcp-servers/${r.body.id}/tools/${whoami.id}/run`, {});
      expect(run.status).toBe(200);
      expect(JSON.parse(run.body.func_return)).toEqual({ authorization: 'Bearer tok-123', x_custom: 'yes' });
    });

    it('stores credentials encrypted at rest', async () => {
      const created = await api.post('/v1/mcp-servers/', {
        server_name: 'crud-secret',
        config: {
          mcp_server_type: 'stdio',
          command: 'node',
          args: [STDIO_SCRIPT],
          env: { API_KEY: 'very-secret-value' },
        },
      });
      expect(created.status).toBe(200);
      const ds = t.app.get(DataSource);
      const [row] = await ds.query(`SELECT * FROM mcp_servers WHERE id = $1`, [created.body.id]);
      expect(JSON.stringify(row)).not.toContain('very-secret-value');
      expect(JSON.stringify(row)).not.toContain(STDIO_SCRIPT);
      expect(row.env_enc).toMatch(/^v1:/);
      expect(row.args_enc).toMatch(/^v1:/);
      // URLs often carry a token: encrypted too, and still served back whole.
      const http = await api.post('/v1/mcp-servers/', {
        server_name: 'crud-secret-url',
        config: { mcp_server_type: 'streamable_http', server_url: `${mcp.url}?token=url-secret` },
      });
      const [httpRow] = await ds.query(`SELECT * FROM mcp_servers WHERE id = $1`, [http.body.id]);
      expect(JSON.stringify(httpRow)).not.toContain('url-secret');
      expect(httpRow.server_url_enc).toMatch(/^v1:/);
      expect(http.body.server_url).toBe(`${mcp.url}?token=url-secret`);
      const got = await api.get(`/v1/mcp-servers/${created.body.id}`);
      expect(got.body).toEqual({
        id: created.body.id,
        server_name: 'crud-secret',
        mcp_server_type: 'stdio',
        command: 'node',
        args: [STDIO_SCRIPT],
        env: { API_KEY: 'very-secret-value' },
      });
    });

    it('lists, retrieves, updates and deletes; other tenants see 404', async () => {
      // Tool names are unique per organization: a server whose tools we look at gets its own tenant.
      const api = await newTenant(root, 'mcp-crud-life');
      const s = await httpServer(api, 'crud-lifecycle');
      const list = await api.get('/v1/mcp-servers/');
      expect(list.status).toBe(200);
      expect(list.body.map((x: any) => x.id)).toContain(s.id);
      expect((await other.get('/v1/mcp-servers/')).body.map((x: any) => x.id)).not.toContain(s.id);

      expect((await other.get(`/v1/mcp-servers/${s.id}`)).status).toBe(404);
      expect((await other.patch(`/v1/mcp-servers/${s.id}`, { server_name: 'stolen' })).status).toBe(404);
      expect((await other.delete(`/v1/mcp-servers/${s.id}`)).status).toBe(404);
      expect((await other.get(`/v1/mcp-servers/${s.id}/tools`)).status).toBe(404);
      expect((await other.patch(`/v1/mcp-servers/${s.id}/refresh`)).status).toBe(404);
      const add = await toolNamed(api, s.id, 'add');
      expect((await other.get(`/v1/mcp-servers/${s.id}/tools/${add.id}`)).status).toBe(404);
      expect(
        (await other.post(`/v1/mcp-servers/${s.id}/tools/${add.id}/run`, { args: { a: 1, b: 2 } })).status,
      ).toBe(404);

      const renamed = await api.patch(`/v1/mcp-servers/${s.id}`, {
        server_name: 'crud-renamed',
        config: { mcp_server_type: 'streamable_http', server_url: null, auth_token: 'abc' },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({
        id: s.id,
        server_name: 'crud-renamed',
        server_url: mcp.url,
        auth_header: 'Authorization',
        auth_token: 'Bearer abc',
      });
      expect((await toolNamed(api, s.id, 'add')).tags).toEqual(['mcp:crud-renamed']);
      expect((await api.get(`/v1/mcp-servers/${s.id}`)).body.server_name).toBe('crud-renamed');

      await httpServer(api, 'crud-taken');
      const dup = await api.patch(`/v1/mcp-servers/${s.id}`, { server_name: 'crud-taken' });
      expect(dup.status).toBe(409);

      const del = await api.delete(`/v1/mcp-servers/${s.id}`);
      expect(del.status).toBe(204);
      expect((await api.get(`/v1/mcp-servers/${s.id}`)).status).toBe(404);
      expect((await api.get(`/v1/tools/${add.id}`)).status).toBe(404);
      expect((await api.delete(`/v1/mcp-servers/${s.id}`)).status).toBe(404);
    });

    it('answers 409 for a duplicate name and 404 for unknown ids', async () => {
      await httpServer(api, 'crud-dup');
      const dup = await api.post('/v1/mcp-servers/', {
        server_name: 'crud-dup',
        config: { server_url: mcp.url },
      });
      expect(dup.status).toBe(409);
      expect(dup.body.detail).toContain('crud-dup');
      // Another tenant may use the same name.
      expect(
        (await other.post('/v1/mcp-servers/', { server_name: 'crud-dup', config: { server_url: mcp.url } }))
          .status,
      ).toBe(200);
      expect((await api.get(`/v1/mcp-servers/${UNKNOWN_SERVER}`)).status).toBe(404);
      expect((await api.get(`/v1/mcp-servers/${UNKNOWN_SERVER}/tools`)).status).toBe(404);
    });

    it.each([
      [
        'a bad server type',
        { server_name: 'v1', config: { mcp_server_type: 'websocket', server_url: 'http://x' } },
        'mcp_server_type',
      ],
      ['a missing url', { server_name: 'v2', config: { mcp_server_type: 'streamable_http' } }, 'server_url'],
      [
        'a missing url (sse)',
        { server_name: 'v3', config: { mcp_server_type: 'sse', auth_token: 'x' } },
        'server_url',
      ],
      ['a non-http url', { server_name: 'v4', config: { server_url: 'file:///etc/passwd' } }, 'server_url'],
      ['a missing command', { server_name: 'v5', config: { mcp_server_type: 'stdio', args: [] } }, 'command'],
      [
        'stdio fields on an http server',
        { server_name: 'v6', config: { server_url: 'http://x', command: 'node' } },
        'command',
      ],
      [
        'http fields on a stdio server',
        { server_name: 'v7', config: { mcp_server_type: 'stdio', command: 'node', server_url: 'http://x' } },
        'server_url',
      ],
      ['a non-string env value', { server_name: 'v8', config: { command: 'node', env: { A: 1 } } }, 'env'],
      ['a bad env name', { server_name: 'v9', config: { command: 'node', env: { 'A=B': 'x' } } }, 'env'],
      ['a missing config', { server_name: 'v10' }, 'config'],
      ['a missing name', { config: { server_url: 'http://x' } }, 'server_name'],
      [
        'an unknown field',
        { server_name: 'v11', config: { server_url: 'http://x', verbose: true } },
        'verbose',
      ],
    ])('rejects %s with 422 naming the field', async (_label, body, field) => {
      const r = await api.post('/v1/mcp-servers/', body);
      expect(r.status).toBe(422);
      expect(r.body.detail).toContain(field);
    });

    it('rejects malformed ids with 422', async () => {
      for (const r of [
        await api.get('/v1/mcp-servers/not-an-id'),
        await api.patch('/v1/mcp-servers/agent-00000000-0000-4000-8000-000000000000', { server_name: 'x' }),
        await api.delete('/v1/mcp-servers/mcp_server-123'),
        await api.get(`/v1/mcp-servers/${UNKNOWN_SERVER}/tools/nope`),
        await api.patch(`/v1/mcp-servers/${UNKNOWN_SERVER}/refresh?agent_id=bad`),
      ]) {
        expect(r.status).toBe(422);
        expect(typeof r.body.detail).toBe('string');
      }
    });

    it('creates a server that is down, with no tools, and refresh says it is unreachable', async () => {
      const r = await api.post('/v1/mcp-servers/', {
        server_name: 'crud-down',
        config: { mcp_server_type: 'sse', server_url: 'http://127.0.0.1:1/sse' },
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        mcp_server_type: 'sse',
        auth_header: null,
        auth_token: null,
        custom_headers: null,
      });
      expect(await toolsOf(api, r.body.id)).toEqual([]);
      const refresh = await api.patch(`/v1/mcp-servers/${r.body.id}/refresh`);
      expect(refresh.status).toBe(502);
      expect(refresh.body.detail).toContain("Could not connect to MCP server 'crud-down'");
    });
  });

  describe('tools', () => {
    let api: Tenant;
    let other: Tenant;
    let server: { id: string };
    beforeAll(async () => {
      api = await newTenant(root, 'mcp-tools');
      other = await newTenant(root, 'mcp-tools-other');
      server = await httpServer(api, 'tools-http');
    });

    it('retrieves one tool and 404s a tool of another server or tenant', async () => {
      const echo = await toolNamed(api, server.id, 'echo');
      const got = await api.get(`/v1/mcp-servers/${server.id}/tools/${echo.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(echo);
      const second = await httpServer(other, 'tools-other');
      const otherEcho = await toolNamed(other, second.id, 'echo');
      expect((await api.get(`/v1/mcp-servers/${server.id}/tools/${otherEcho.id}`)).status).toBe(404);
    });

    it('runs tools directly: success, isError, timeout', async () => {
      const add = await toolNamed(api, server.id, 'add');
      const r = await api.post(`/v1/mcp-servers/${server.id}/tools/${add.id}/run`, { args: { a: 2, b: 40 } });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        status: 'success',
        func_return: '42',
        stdout: [],
        stderr: [],
        agent_state: null,
        sandbox_config_fingerprint: null,
      });

      const fail = await toolNamed(api, server.id, 'fail');
      const failed = await api.post(`/v1/mcp-servers/${server.id}/tools/${fail.id}/run`, {});
      expect(failed.status).toBe(200);
      expect(failed.body.status).toBe('error');
      expect(failed.body.func_return).toContain('the tool broke on purpose');

      const bad = await api.post(`/v1/mcp-servers/${server.id}/tools/${add.id}/run`, { args: { a: 'two' } });
      expect(bad.body.status).toBe('error');

      const sleep = await toolNamed(api, server.id, 'sleep');
      const started = Date.now();
      const slow = await api.post(`/v1/mcp-servers/${server.id}/tools/${sleep.id}/run`, {
        args: { ms: 10_000 },
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(slow.body).toMatchObject({ status: 'error' });
      expect(slow.body.func_return).toBe(
        "MCP server 'tools-http' did not answer calling tool 'sleep' within 1500 ms",
      );

      // The connection is still usable after a timeout.
      const again = await api.post(`/v1/mcp-servers/${server.id}/tools/${add.id}/run`, {
        args: { a: 1, b: 1 },
      });
      expect(again.body.func_return).toBe('2');
    });

    it('reuses one connection and reconnects when the server forgot the session', async () => {
      const add = await toolNamed(api, server.id, 'add');
      const before = mcp.requests.filter((r) => r.method === 'POST' && !r.headers['mcp-session-id']).length;
      for (let i = 0; i < 3; i++)
        await api.post(`/v1/mcp-servers/${server.id}/tools/${add.id}/run`, { args: { a: i, b: 1 } });
      const initializes = () =>
        mcp.requests.filter((r) => r.method === 'POST' && !r.headers['mcp-session-id']).length;
      expect(initializes() - before).toBe(0);

      await mcp.dropSessions();
      const calls = mcp.calls.get('add') ?? 0;
      const r = await api.post(`/v1/mcp-servers/${server.id}/tools/${add.id}/run`, { args: { a: 5, b: 5 } });
      expect(r.body).toMatchObject({ status: 'success', func_return: '10' });
      expect(initializes() - before).toBe(1);
      expect(mcp.calls.get('add')).toBe(calls + 1);
    });

    it('refresh adds new tools, updates changed ones, deletes vanished ones and keeps attached ones', async () => {
      const api = await newTenant(root, 'mcp-refresh');
      const s = await httpServer(api, 'tools-refresh');
      const agent = await api.post('/v1/agents/', { model: MODEL, embedding: EMBEDDING });
      expect(agent.status).toBe(200);
      const sleep = await toolNamed(api, s.id, 'sleep');
      expect((await api.patch(`/v1/agents/${agent.body.id}/tools/attach/${sleep.id}`)).status).toBe(200);

      mcp.setEnabled('extra', true);
      mcp.setEnabled('fail', false);
      mcp.setEnabled('sleep', false);
      mcp.describe('echo', 'Echo, louder');
      try {
        const r = await api.patch(`/v1/mcp-servers/${s.id}/refresh`);
        expect(r.status).toBe(200);
        expect(r.body).toEqual({
          added: ['extra'],
          updated: ['echo'],
          deleted: ['fail'],
          kept: ['sleep'],
          conflicts: [],
        });
        const names = (await toolsOf(api, s.id)).map((x) => x.name).sort();
        expect(names).toEqual(['add', 'echo', 'extra', 'sleep', 'whoami']);
        expect((await toolNamed(api, s.id, 'echo')).description).toBe('Echo, louder');

        const again = await api.patch(`/v1/mcp-servers/${s.id}/refresh?agent_id=${agent.body.id}`);
        expect(again.body).toEqual({ added: [], updated: [], deleted: [], kept: ['sleep'], conflicts: [] });

        // A non-text part is summarized, text kept.
        const extra = await toolNamed(api, s.id, 'extra');
        const ran = await api.post(`/v1/mcp-servers/${s.id}/tools/${extra.id}/run`, { args: {} });
        expect(ran.body.func_return).toBe('[image: image/png, 5 bytes, not shown]\ndone');
      } finally {
        mcp.setEnabled('extra', false);
        mcp.setEnabled('fail', true);
        mcp.setEnabled('sleep', true);
        mcp.describe('echo', 'Echo the text back');
      }
    });

    it('does not overwrite a tool of the same name from elsewhere', async () => {
      const api = await newTenant(root, 'mcp-conflict');
      const mine = await api.post('/v1/tools/', {
        source_code:
          'def echo(text: str) -> str:\n    """Mine.\n\n    Args:\n        text: the text\n    """\n    return text\n',
      });
      expect(mine.status).toBe(200);
      const s = await api.post('/v1/mcp-servers/', {
        server_name: 'tools-conflict',
        config: { server_url: mcp.url },
      });
      expect(s.status).toBe(200);
      const refresh = await api.patch(`/v1/mcp-servers/${s.body.id}/refresh`);
      expect(refresh.body).toEqual({ added: [], updated: [], deleted: [], kept: [], conflicts: ['echo'] });
      expect((await toolsOf(api, s.body.id)).map((x) => x.name).sort()).toEqual([
        'add',
        'fail',
        'sleep',
        'whoami',
      ]);
      expect((await api.get(`/v1/tools/${mine.body.id}`)).body.tool_type).toBe('custom');
    });
  });

  describe('stdio', () => {
    let api: Tenant;
    beforeAll(async () => {
      api = await newTenant(root, 'mcp-stdio');
    });

    it('runs the command with only its configured env (+PATH), never the server environment', async () => {
      process.env.ENGRAM_TEST_SERVER_SECRET = 'server-secret-do-not-leak';
      try {
        const s = await api.post('/v1/mcp-servers/', {
          server_name: 'stdio-env',
          config: {
            mcp_server_type: 'stdio',
            command: 'node',
            args: [STDIO_SCRIPT],
            env: { GREETING: 'hello' },
          },
        });
        expect(s.status).toBe(200);
        const tools = await toolsOf(api, s.body.id);
        expect(tools.map((x) => x.name).sort()).toEqual(['add', 'crash', 'env', 'pid']);
        const env = tools.find((x) => x.name === 'env')!;
        const r = await api.post(`/v1/mcp-servers/${s.body.id}/tools/${env.id}/run`, {});
        expect(r.body.status).toBe('success');
        const childEnv = JSON.parse(r.body.func_return) as Record<string, string>;
        expect(childEnv.GREETING).toBe('hello');
        expect(childEnv.PATH).toBe(process.env.PATH);
        expect(JSON.stringify(childEnv)).not.toContain('server-secret-do-not-leak');
        expect(childEnv.HOME).toBeUndefined();
        expect(childEnv.DATABASE_URL).toBeUndefined();
        expect(Object.keys(childEnv).sort()).toEqual(expect.arrayContaining(['GREETING', 'PATH']));
      } finally {
        delete process.env.ENGRAM_TEST_SERVER_SECRET;
      }
    });

    it('restarts a stdio server that died', async () => {
      const api = await newTenant(root, 'mcp-stdio-crash');
      const s = await api.post('/v1/mcp-servers/', {
        server_name: 'stdio-crash',
        config: { command: 'node', args: [STDIO_SCRIPT] },
      });
      const tools = await toolsOf(api, s.body.id);
      const run = (name: string, args = {}) =>
        api.post(`/v1/mcp-servers/${s.body.id}/tools/${tools.find((x) => x.name === name)!.id}/run`, {
          args,
        });
      const pid1 = (await run('pid')).body.func_return;
      expect((await run('crash')).body.func_return).toBe('exiting');
      await new Promise((r) => setTimeout(r, 300));
      const after = await run('add', { a: 20, b: 22 });
      expect(after.body).toMatchObject({ status: 'success', func_return: '42' });
      expect((await run('pid')).body.func_return).not.toBe(pid1);
    });

    it('fails cleanly when the command does not exist', async () => {
      const s = await api.post('/v1/mcp-servers/', {
        server_name: 'stdio-missing',
        config: { command: '/nonexistent/mcp-server', args: [] },
      });
      expect(s.status).toBe(200);
      const r = await api.patch(`/v1/mcp-servers/${s.body.id}/refresh`);
      expect(r.status).toBe(502);
      expect(r.body.detail).toContain("Could not connect to MCP server 'stdio-missing'");
    });
  });

  describe('agents', () => {
    let api: Tenant;
    beforeAll(async () => {
      api = await newTenant(root, 'mcp-agents');
    });

    it('attaches an MCP tool to an agent and runs it by name', async () => {
      const s = await httpServer(api, 'agent-http');
      const add = await toolNamed(api, s.id, 'add');
      const agent = await api.post('/v1/agents/', { model: MODEL, embedding: EMBEDDING });
      const attached = await api.patch(`/v1/agents/${agent.body.id}/tools/attach/${add.id}`);
      expect(attached.status).toBe(200);
      expect(attached.body.tools.map((x: any) => x.name)).toContain('add');
      const r = await api.post(`/v1/agents/${agent.body.id}/tools/add/run`, { args: { a: 2, b: 3 } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', func_return: '5' });

      // Deleting the server removes its tools from the agent.
      expect((await api.delete(`/v1/mcp-servers/${s.id}`)).status).toBe(204);
      const after = await api.get(`/v1/agents/${agent.body.id}/tools`);
      expect(after.body.map((x: any) => x.name)).not.toContain('add');
    });

    it('calls an attached MCP tool through the agent loop (fake LLM) and returns its result to the model', async () => {
      const s = await httpServer(api, 'loop-http');
      const add = await toolNamed(api, s.id, 'add');
      const agent = (
        await api.post('/v1/agents/', { model: MODEL, embedding: EMBEDDING, tool_ids: [add.id] })
      ).body;
      expect(agent.tools.map((x: any) => x.name)).toContain('add');

      fake.enqueue(
        { toolCalls: [{ name: 'add', arguments: { a: 40, b: 2 } }] },
        { content: 'The sum is 42.' },
      );
      const res = await api.post(`/v1/agents/${agent.id}/messages`, { input: 'What is 40 + 2?' });
      expect(res.status).toBe(200);
      expect(res.body.messages.map((m: any) => m.message_type)).toEqual([
        'tool_call_message',
        'tool_return_message',
        'assistant_message',
      ]);
      expect(res.body.messages[1]).toMatchObject({ name: 'add', status: 'success', tool_return: '42' });
      // The model was offered the MCP tool's schema, and got the server's answer back.
      const first = fake.requests.at(-2)!.body;
      const offered = first.tools.find((x: any) => x.function.name === 'add');
      expect(Object.keys(offered.function.parameters.properties).sort()).toEqual(['a', 'b']);
      const toolMsg = fake.lastRequest!.body.messages.find((m: any) => m.role === 'tool');
      expect(toolMsg.content).toContain('42');
      expect(res.body.stop_reason.stop_reason).toBe('end_turn');
    });

    it('turns an MCP tool error into a failed tool return, and the agent goes on', async () => {
      // A tenant of its own: tool names are unique per tenant, and the test above has 'fail'.
      const own = await newTenant(root, 'mcp-loop-err');
      const s = await httpServer(own, 'loop-http-err');
      const failing = await toolNamed(own, s.id, 'fail');
      const agent = (
        await own.post('/v1/agents/', { model: MODEL, embedding: EMBEDDING, tool_ids: [failing.id] })
      ).body;
      fake.enqueue({ toolCalls: [{ name: 'fail', arguments: {} }] }, { content: 'That tool failed.' });
      const res = await own.post(`/v1/agents/${agent.id}/messages`, { input: 'try the tool' });
      expect(res.status).toBe(200);
      const ret = res.body.messages.find((m: any) => m.message_type === 'tool_return_message');
      expect(ret.status).toBe('error');
      expect(ret.tool_return).toContain('the tool broke on purpose');
      expect(res.body.stop_reason.stop_reason).toBe('end_turn');
    });
  });

  it('closes MCP connections when the app shuts down', async () => {
    const app = await startTestApp();
    const api = await newTenant(new Api(app.baseUrl), 'mcp-shutdown');
    const s = await api.post('/v1/mcp-servers/', {
      server_name: 'shutdown',
      config: { command: 'node', args: [STDIO_SCRIPT] },
    });
    const pid = await api.post(
      `/v1/mcp-servers/${s.body.id}/tools/${(await toolNamed(api, s.body.id, 'pid')).id}/run`,
      {},
    );
    const childPid = Number(pid.body.func_return);
    expect(app.app.get(McpClientPool).openConnections().size).toBe(1);
    await app.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(() => process.kill(childPid, 0)).toThrow();
  });
});
