import { existsSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';
const EMBEDDING = 'local/hash-embedding-v1';
const SERVER_SECRET = 'ENGRAM_E2E_SERVER_SECRET';
const SERVER_SECRET_VALUE = 'server-only-3b1f9e';
// Long enough for the memory bombs to reach their cap first on a loaded 2-core box.
const TIMEOUT_MS = 4_000;

/** A TCP listener on 127.0.0.1 that counts the connections it accepts. */
async function listener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((s) => {
    count += 1;
    s.end('hello\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, connections: () => count, close: () => new Promise((r) => server.close(() => r())) };
}

describe('running tools in the sandbox through the API (e2e)', () => {
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  let agent: { id: string };

  beforeAll(async () => {
    process.env[SERVER_SECRET] = SERVER_SECRET_VALUE;
    t = await startTestApp({ ENGRAM_TOOL_TIMEOUT_MS: String(TIMEOUT_MS), ENGRAM_TOOL_MEMORY_MB: '128' });
    api = await newTenant(new Api(t.baseUrl), 'sandbox');
    agent = (await api.post('/v1/agents/', { model: MODEL, embedding: EMBEDDING, include_base_tools: false }))
      .body;
  });
  afterAll(async () => {
    delete process.env[SERVER_SECRET];
    await t.close();
  });

  /** Creates the tool, attaches it to `agentId` and runs it with `args`. */
  async function run(
    source_code: string,
    args: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
    agentId = agent.id,
  ) {
    const created = await api.put('/v1/tools/', { source_code, ...extra });
    expect(created.status).toBe(200);
    await api.patch(`/v1/agents/${agentId}/tools/attach/${created.body.id}`);
    const r = await api.post(`/v1/agents/${agentId}/tools/${created.body.name}/run`, { args });
    expect(r.status).toBe(200);
    return r.body as { status: string; func_return: string; stdout: string[]; stderr: string[] };
  }

  it('runs a Python tool: args in, value out, stdout apart', async () => {
    const r = await run('def py_add(a: int, b: int) -> int:\n    print("adding", a, b)\n    return a + b\n', {
      a: 2,
      b: 3,
    });
    expect(r).toEqual({
      status: 'success',
      func_return: '5',
      stdout: ['adding 2 3\n'],
      stderr: [],
      agent_state: null,
      sandbox_config_fingerprint: null,
    });
  });

  it('runs a TypeScript tool', async () => {
    const r = await run(
      'export function ts_concat(a: string, n: number): string { console.log("n", n); return a.repeat(n); }',
      { a: 'ab', n: 3 },
      { source_type: 'typescript' },
    );
    expect(r).toMatchObject({ status: 'success', func_return: 'ababab' });
    expect(r.stdout.join('')).toContain('n 3');
  });

  it('answers 404 for a tool the agent does not have, and a failed return for an exception', async () => {
    const missing = await api.post(`/v1/agents/${agent.id}/tools/nope/run`, { args: {} });
    expect(missing.status).toBe(404);
    const r = await run('def py_raise() -> str:\n    raise ValueError("bad input")\n');
    expect(r).toMatchObject({ status: 'error', func_return: 'ValueError: bad input' });
  });

  it('cuts output over return_char_limit and marks the cut', async () => {
    const r = await run('def py_big() -> str:\n    return "x" * 5000\n', {}, { return_char_limit: 100 });
    expect(r.status).toBe('success');
    expect(r.func_return.startsWith('x'.repeat(100))).toBe(true);
    expect(r.func_return).not.toContain('x'.repeat(101));
    expect(r.func_return).toMatch(/truncated: output was 5000 characters, 4900 cut/);
  });

  describe('hostile tools', () => {
    it.each([
      ['python', 'def py_spin() -> str:\n    while True:\n        pass\n'],
      ['typescript', 'export function ts_spin(): string { while (true) {} }'],
    ])(
      'a %s infinite loop times out; the server and the next call are fine',
      async (source_type, source_code) => {
        const started = Date.now();
        const r = await run(source_code, {}, { source_type });
        expect(r.status).toBe('error');
        expect(r.func_return).toMatch(/timed out|time limit/i);
        // Cut by the timeout, not left to run: well under the test's own 60 s, with room for a loaded machine.
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 10_000);
        expect((await api.get('/v1/health/')).status).toBe(200);
        const next = await run('def py_ok() -> str:\n    return "still fine"\n');
        expect(next).toMatchObject({ status: 'success', func_return: 'still fine' });
      },
    );

    it.each([
      [
        'python',
        'def py_bomb() -> int:\n    blocks = []\n    while True:\n        blocks.append(bytearray(64 * 1024 * 1024))\n',
      ],
      [
        'typescript',
        'export function ts_bomb(): number { const a: number[][] = []; while (true) a.push(new Array(1e6).fill(1)); }',
      ],
    ])('a %s memory bomb hits the memory cap', async (source_type, source_code) => {
      const r = await run(source_code, {}, { source_type });
      expect(r.status).toBe('error');
      expect(r.func_return).toMatch(/memory/i);
      expect((await api.get('/v1/health/')).status).toBe(200);
    });

    it('a fork bomb is refused', async () => {
      const r = await run('import os\ndef py_fork() -> str:\n    while True:\n        os.fork()\n');
      expect(r.status).toBe('error');
      const sub = await run(
        'import subprocess\ndef py_sub() -> str:\n    return subprocess.check_output(["id"]).decode()\n',
      );
      expect(sub.status).toBe('error');
      expect((await api.get('/v1/health/')).status).toBe(200);
    });

    it.each([
      ['python', 'import os, json\ndef py_env() -> str:\n    return json.dumps(dict(os.environ))\n'],
      ['typescript', 'export function ts_env(): string { return JSON.stringify(process.env); }'],
    ])('a %s tool cannot read a server secret from its environment', async (source_type, source_code) => {
      const r = await run(source_code, {}, { source_type });
      expect(r.status).toBe('success');
      expect(r.func_return).not.toContain(SERVER_SECRET);
      expect(r.func_return).not.toContain(SERVER_SECRET_VALUE);
      expect(r.func_return).not.toContain('DATABASE_URL');
    });

    it('cannot open a socket to a listener on 127.0.0.1', async () => {
      const l = await listener();
      try {
        const py = await run(
          `import socket\ndef py_net() -> str:\n    s = socket.create_connection(("127.0.0.1", ${l.port}), timeout=1)\n    return s.recv(10).decode()\n`,
        );
        expect(py.status).toBe('error');
        const ts = await run(
          `export async function ts_net(): Promise<string> { const r = await fetch("http://127.0.0.1:${l.port}/"); return String(r.status); }`,
          {},
          { source_type: 'typescript' },
        );
        expect(ts.status).toBe('error');
        expect(l.connections()).toBe(0);
      } finally {
        await l.close();
      }
    });

    it('cannot write outside its temp dir', async () => {
      const target = join(tmpdir(), `engram-e2e-escape-${process.pid}-${Date.now()}`);
      rmSync(target, { force: true });
      const r = await run(
        'def py_write() -> str:\n    open("/engram-escape", "w").write("pwned")\n    return "wrote"\n',
      );
      expect(r.status).toBe('error');
      expect(existsSync('/engram-escape')).toBe(false);
      // A host /tmp path names the tool's private /tmp: the host never sees the file.
      await run(
        `def py_write_tmp() -> str:\n    open(${JSON.stringify(target)}, "w").write("pwned")\n    return "wrote"\n`,
      );
      expect(existsSync(target)).toBe(false);
      const inside = await run(
        'def py_write_inside() -> str:\n    open("ok.txt", "w").write("hi")\n    return open("ok.txt").read()\n',
      );
      expect(inside).toMatchObject({ status: 'success', func_return: 'hi' });
    });
  });

  describe('agent secrets', () => {
    const readToken =
      'import os\ndef read_token() -> str:\n    return os.environ.get("API_TOKEN", "<absent>")\n';

    it("are stored encrypted, shown in AgentState, and visible only to that agent's tools", async () => {
      const a = await api.post('/v1/agents/', {
        model: MODEL,
        embedding: EMBEDDING,
        include_base_tools: false,
        secrets: { API_TOKEN: 'token-of-a', OTHER: 'x' },
      });
      expect(a.status).toBe(200);
      expect(a.body.secrets).toEqual([
        expect.objectContaining({
          agent_id: a.body.id,
          key: 'API_TOKEN',
          value: 'token-of-a',
          value_enc: null,
        }),
        expect.objectContaining({ key: 'OTHER', value: 'x' }),
      ]);
      expect(a.body.secrets[0].id).toMatch(/^agent-env-/);
      expect(a.body.tool_exec_environment_variables).toEqual(a.body.secrets);
      const b = await api.post('/v1/agents/', {
        model: MODEL,
        embedding: EMBEDDING,
        include_base_tools: false,
        tool_exec_environment_variables: { API_TOKEN: 'token-of-b' },
      });
      const none = (
        await api.post('/v1/agents/', { model: MODEL, embedding: EMBEDDING, include_base_tools: false })
      ).body;

      expect((await run(readToken, {}, {}, a.body.id)).func_return).toBe('token-of-a');
      expect((await run(readToken, {}, {}, b.body.id)).func_return).toBe('token-of-b');
      expect((await run(readToken, {}, {}, none.id)).func_return).toBe('<absent>');

      const rows = await t.app
        .get(DataSource)
        .query('SELECT key, value_enc FROM agent_secrets WHERE agent_id = $1', [a.body.id]);
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row.value_enc).not.toContain('token-of-a');

      // PATCH replaces the set: OTHER goes, API_TOKEN changes.
      const patched = await api.patch(`/v1/agents/${a.body.id}`, { secrets: { API_TOKEN: 'rotated' } });
      expect(patched.body.secrets.map((s: { key: string; value: string }) => [s.key, s.value])).toEqual([
        ['API_TOKEN', 'rotated'],
      ]);
      expect((await run(readToken, {}, {}, a.body.id)).func_return).toBe('rotated');
    });

    it('rejects a secret name that is not an environment variable name', async () => {
      const r = await api.post('/v1/agents/', {
        model: MODEL,
        embedding: EMBEDDING,
        secrets: { 'BAD=NAME': 'x' },
      });
      expect(r.status).toBe(422);
      expect(r.body.detail).toContain('BAD=NAME');
    });
  });
});
