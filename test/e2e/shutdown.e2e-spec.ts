import { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { startTestApp } from '../support/app';
import { BuiltCli } from '../support/cli';
import { FakeOpenAiServer } from '../support/fake-openai';
import { OtlpReceiver } from '../support/otlp-receiver';

const embedded = !process.env.DATABASE_URL;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a fresh TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('shutdown (e2e)', () => {
  // Only embedded mode owns its database server; with DATABASE_URL the server is not ours to stop.
  (embedded ? it : it.skip)('stops the embedded Postgres when the app closes', async () => {
    const t = await startTestApp();
    const url = (t.app.get(DataSource).options as { url: string }).url;
    const before = new Client({ connectionString: url });
    await before.connect();
    expect((await before.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await before.end();

    await t.close();
    const after = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await expect(after.connect()).rejects.toThrow();
  });

  describe('SIGTERM to `engram api`', () => {
    let cli: BuiltCli;
    let fake: FakeOpenAiServer;
    let dataDir: string;
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      [cli, fake] = await Promise.all([BuiltCli.build(), FakeOpenAiServer.start()]);
      dataDir = mkdtempSync(join(tmpdir(), 'engram-shutdown-'));
    }, 120_000);
    afterAll(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      cli?.remove();
      await fake?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    beforeEach(() => fake.reset());

    /** Starts the API from the build; resolves once it answers, with a way to await its exit. */
    async function startApi(graceMs: number, extraEnv: Record<string, string> = {}) {
      const port = await freePort();
      const child = cli.spawn(['api', '--port', String(port)], {
        DATABASE_URL: process.env.DATABASE_URL,
        REDIS_URL: process.env.REDIS_URL,
        ENGRAM_REDIS_PREFIX: process.env.ENGRAM_REDIS_PREFIX,
        ENGRAM_DATA_DIR: dataDir,
        ENGRAM_SHUTDOWN_GRACE_MS: String(graceMs),
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: fake.baseUrl,
        ...extraEnv,
        LOG_LEVEL: 'info',
        NODE_ENV: 'production',
      });
      children.push(child);
      let output = '';
      child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
        child.once('exit', (code) => resolve({ code, at: Date.now() })),
      );
      const base = `http://127.0.0.1:${port}`;
      await until('the API to answer', async () =>
        (await fetch(`${base}/v1/health`)).ok ? true : undefined,
      );
      return { child, port, base, exited, output: () => output };
    }

    async function newAgent(base: string): Promise<string> {
      const res = await fetch(`${base}/v1/agents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'openai/gpt-4o-mini',
          memory_blocks: [{ label: 'human', value: 'Sam' }],
        }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: string }).id;
    }

    /** The stored messages of an agent, read straight from the database after the process has gone. */
    async function storedMessages(agentId: string): Promise<{ role: string; text: string }[]> {
      const sql = `SELECT role, content::text AS text FROM messages WHERE agent_id = $1 ORDER BY created_at, id`;
      if (!embedded) {
        const client = new Client({ connectionString: process.env.DATABASE_URL });
        await client.connect();
        try {
          return (await client.query(sql, [agentId])).rows;
        } finally {
          await client.end();
        }
      }
      const pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pgdata') });
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      try {
        return (await client.query(sql, [agentId])).rows;
      } finally {
        await client.end();
        await pg.stop();
      }
    }

    it('stops accepting connections, lets the running message finish, exits 0 and keeps every message', async () => {
      // Traced too: the built process exports its spans, and its log lines carry the trace id.
      const receiver = await OtlpReceiver.start();
      const api = await startApi(20_000, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }).catch(
        async (err) => {
          await receiver.close();
          throw err;
        },
      );
      const agentId = await newAgent(api.base);
      fake.enqueue({ content: 'Finished after the signal.', delayMs: 2_000 });
      const sending = fetch(`${api.base}/v1/agents/${agentId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'are you still there?' }] }),
      });
      await until('the LLM call', async () => (fake.chatRequests.length > 0 ? true : undefined));

      const signalled = Date.now();
      api.child.kill('SIGTERM');
      await until('the listener to close', async () => ((await refused(api.port)) ? true : undefined), 5_000);

      const res = await sending;
      expect(res.status).toBe(200);
      const traceId = res.headers.get('x-request-id')!;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const body = (await res.json()) as { messages: { message_type: string; content?: string }[] };
      expect(
        body.messages.filter((m) => m.message_type === 'assistant_message').map((m) => m.content),
      ).toEqual(['Finished after the signal.']);

      const exit = await api.exited;
      expect(exit.code).toBe(0);
      expect(exit.at - signalled).toBeLessThan(20_000);
      expect(api.output()).toContain('SIGTERM: shutting down');
      await receiver.close();
      const requestLog = api
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'request completed' && l.req?.url?.endsWith('/messages'));
      expect(requestLog).toMatchObject({ trace_id: traceId, req: { id: traceId } });
      const spans = receiver.spans.filter((sp) => sp.traceId === traceId);
      expect(spans.map((sp) => sp.name)).toEqual(
        expect.arrayContaining(['POST /v1/agents/:agent_id/messages', 'chat gpt-4o-mini']),
      );

      const stored = await storedMessages(agentId);
      const texts = stored.map((m) => `${m.role}: ${m.text}`).join('\n');
      expect(texts).toContain('are you still there?');
      expect(texts).toContain('Finished after the signal.');
    });

    it('cuts a stream that outlasts the grace period and still exits in time', async () => {
      const graceMs = 3_000;
      const api = await startApi(graceMs);
      const agentId = await newAgent(api.base);
      // The LLM answers only when the test lets it (after the process is gone).
      let answer: (reply: { content: string }) => void = () => undefined;
      fake.enqueue(() => new Promise((resolve) => (answer = resolve)));
      // Not awaited: the stream's headers may only come with its first event.
      const reading = fetch(`${api.base}/v1/agents/${agentId}/messages/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'take your time' }] }),
      })
        .then((res) => res.text())
        .then(
          () => 'ended',
          () => 'cut',
        );
      await until('the LLM call', async () => (fake.chatRequests.length > 0 ? true : undefined));

      const signalled = Date.now();
      api.child.kill('SIGTERM');
      const exit = await api.exited;
      expect(exit.code).toBe(0);
      // Within the grace period, with a margin for a loaded machine.
      expect(exit.at - signalled).toBeLessThan(graceMs + 5_000);
      expect(exit.at - signalled).toBeGreaterThanOrEqual(graceMs - 1_500);
      expect(['ended', 'cut']).toContain(await reading);
      expect(api.output()).toMatch(/Grace period over: closing \d+ open connection/);
      answer({ content: 'far too late' });
    });
  });
});
