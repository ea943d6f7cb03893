import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../src/database/migrations';
import { startTestApp, TestApp } from '../support/app';
import { ADMIN_KEY, bearer, tenantWithKeys, TenantWithKeys } from '../support/auth';
import { BuiltCli } from '../support/cli';
import { FakeOpenAiServer } from '../support/fake-openai';
import { createScratchDatabase, dropScratchDatabase } from '../support/scratch-database';

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
const BASE_DATABASE_URL = process.env.ENGRAM_TEST_BASE_DATABASE_URL;
const withPostgres = DATABASE_URL && BASE_DATABASE_URL ? it : it.skip;

interface Finding {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('the engram CLI, from the build (e2e)', () => {
  let cli: BuiltCli;
  let fake: FakeOpenAiServer;

  beforeAll(async () => {
    [cli, fake] = await Promise.all([BuiltCli.build(), FakeOpenAiServer.start()]);
  }, 120_000);
  afterAll(async () => {
    cli?.remove();
    await fake?.close();
  });

  it('answers --help for itself and every subcommand', async () => {
    const top = await cli.run(['--help']);
    expect(top.code).toBe(0);
    for (const sub of ['api', 'worker', 'migrate', 'doctor', 'import-af', 'upload'])
      expect(top.stdout).toMatch(new RegExp(`\\n  ${sub}\\b`));

    const expected: Record<string, string[]> = {
      api: ['--port <port>', '--host <host>', '--cors <origins>', '--auth', 'ENGRAM_AUTH=required'],
      worker: ['--metrics-port <port>'],
      migrate: ['Apply pending database migrations'],
      doctor: ['--json', 'pgvector'],
      'import-af': [
        '<file>',
        '--url <url>',
        '--api-key <key>',
        'ENGRAM_API_KEY',
        '--strip-messages',
        '--no-copy-suffix',
      ],
      upload: ['<folder>', '<files...>', '--duplicate <mode>', '--no-wait', '--url <url>'],
    };
    const helps = await Promise.all(Object.keys(expected).map((sub) => cli.run([sub, '--help'])));
    Object.keys(expected).forEach((sub, i) => {
      expect(helps[i].code).toBe(0);
      for (const text of expected[sub]) expect(helps[i].stdout).toContain(text);
    });
  });

  it('refuses a bad flag value naming the flag, before starting anything', async () => {
    const r = await cli.run(['api', '--port', 'eighty']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("option '--port <port>' argument 'eighty' is invalid");
    const cors = await cli.run(['api', '--cors', 'not an origin']);
    expect(cors.code).toBe(1);
    expect(cors.stderr).toContain('is not an origin');
  });

  describe('import-af', () => {
    let app: TestApp;
    let tenant: TenantWithKeys;
    let dir: string;
    const file = (name: string, content: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    };
    const agentFile = {
      agents: [
        {
          id: 'agent-0',
          name: 'from-cli',
          system: 'You came from a file.',
          llm_config: {
            model: 'gpt-4o-mini',
            model_endpoint_type: 'openai',
            context_window: 8000,
            handle: 'openai/gpt-4o-mini',
          },
          tool_ids: [],
          block_ids: ['block-0'],
          messages: [],
          in_context_message_ids: [],
        },
      ],
      groups: [],
      blocks: [{ id: 'block-0', label: 'human', value: 'Imported by the CLI.', limit: 1000 }],
      files: [],
      sources: [],
      tools: [],
      mcp_servers: [],
    };

    beforeAll(async () => {
      app = await startTestApp({ ENGRAM_ADMIN_KEY: ADMIN_KEY });
      tenant = await tenantWithKeys(bearer(app.baseUrl, ADMIN_KEY), 'cli-import');
      dir = mkdtempSync(join(tmpdir(), 'engram-af-'));
    });
    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      await app?.close();
    });

    it('imports a file into the running server with --url and --api-key, printing the new ids', async () => {
      const path = file('agent.af', agentFile);
      const r = await cli.run([
        'import-af',
        path,
        '--url',
        app.baseUrl,
        '--api-key',
        tenant.keys.member.key,
        '--no-copy-suffix',
        '--secrets',
        '{"TOKEN": "t"}',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [id] = r.stdout.trim().split('\n');
      expect(id).toMatch(/^agent-[0-9a-f-]{36}$/);
      const agent = await tenant.as.member.get(`/v1/agents/${id}`);
      expect(agent.status).toBe(200);
      expect(agent.body).toMatchObject({ name: 'from-cli', system: 'You came from a file.' });
      expect(agent.body.blocks.map((b: { value: string }) => b.value)).toEqual(['Imported by the CLI.']);
      expect(agent.body.secrets.map((s: { key: string; value: string }) => [s.key, s.value])).toEqual([
        ['TOKEN', 't'],
      ]);

      // The URL and key may come from the environment instead; the default name gets '_copy'.
      const env = await cli.run(['import-af', path, '--json'], {
        ENGRAM_URL: app.baseUrl,
        ENGRAM_API_KEY: tenant.keys.member.key,
      });
      expect(env.code).toBe(0);
      const answer = JSON.parse(env.stdout) as { agent_ids: string[] };
      expect((await tenant.as.member.get(`/v1/agents/${answer.agent_ids[0]}`)).body.name).toBe(
        'from-cli_copy',
      );
    });

    it('reports what went wrong and exits 1', async () => {
      const path = file('ok.af', agentFile);
      const noKey = await cli.run(['import-af', path, '--url', app.baseUrl]);
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toContain('the server answered 401');
      const readOnly = await cli.run([
        'import-af',
        path,
        '--url',
        app.baseUrl,
        '--api-key',
        tenant.keys.read_only.key,
      ]);
      expect(readOnly.code).toBe(1);
      expect(readOnly.stderr).toContain('403');
      const broken = await cli.run([
        'import-af',
        file('broken.af', '{"agents": ['),
        '--url',
        app.baseUrl,
        '--api-key',
        tenant.keys.member.key,
      ]);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('400: Corrupted agent file format');
      const missing = await cli.run(['import-af', join(dir, 'nope.af'), '--url', app.baseUrl]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('cannot read');
      const down = await cli.run(['import-af', path, '--url', `http://127.0.0.1:${await closedPort()}`]);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('cannot reach');
      const badUrl = await cli.run(['import-af', path, '--url', 'ftp://x']);
      expect(badUrl.code).toBe(1);
      expect(badUrl.stderr).toContain("option '--url <url>' argument 'ftp://x' is invalid");
      const badSecrets = await cli.run(['import-af', path, '--secrets', '[1]']);
      expect(badSecrets.code).toBe(1);
      expect(badSecrets.stderr).toContain('expected a JSON object');
      expect((await tenant.as.member.get('/v1/agents/count')).body).toBe(2);
    });
  });

  describe('upload', () => {
    let app: TestApp;
    let tenant: TenantWithKeys;
    let other: TenantWithKeys;
    let dir: string;
    let folderId: string;
    const file = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };
    const upload = (args: string[], key = tenant.keys.member.key) =>
      cli.run(['upload', ...args, '--url', app.baseUrl, '--api-key', key], {}, 120_000);

    beforeAll(async () => {
      // With REDIS_URL ingestion is the worker's; this api takes those jobs itself.
      app = await startTestApp({ ENGRAM_ADMIN_KEY: ADMIN_KEY, ENGRAM_PROCESS_JOBS: 'true' });
      const admin = bearer(app.baseUrl, ADMIN_KEY);
      [tenant, other] = await Promise.all([
        tenantWithKeys(admin, 'cli-upload'),
        tenantWithKeys(admin, 'cli-other'),
      ]);
      dir = mkdtempSync(join(tmpdir(), 'engram-upload-'));
      const folder = await tenant.as.member.post('/v1/folders/', { name: 'handbook' });
      expect(folder.status).toBe(200);
      folderId = folder.body.id;
    });
    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      await app?.close();
    });

    it('uploads files to a folder named on the command line and waits until they are embedded', async () => {
      const a = file('leave.md', '# Leave\n\nEvery employee gets 30 days of paid leave a year.\n');
      const b = file('travel.txt', 'Travel is booked through the office at least two weeks ahead.\n');
      const r = await upload(['handbook', a, b]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('uploaded 2 file(s)');
      expect(r.stderr).toContain('processed 2/2 file(s)');
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(lines.map(([, status, name]) => [status, name])).toEqual([
        ['completed', 'leave.md'],
        ['completed', 'travel.txt'],
      ]);
      for (const [id] of lines) {
        const row = await tenant.as.member.get(`/v1/folders/${folderId}/files/${id}?include_content=true`);
        expect(row.status).toBe(200);
        expect(row.body.processing_status).toBe('completed');
        expect(row.body.chunks_embedded).toBeGreaterThan(0);
      }
      const listed = await tenant.as.member.get(`/v1/folders/${folderId}/files`);
      expect(listed.body.map((f: { file_name: string }) => f.file_name).sort()).toEqual([
        'leave.md',
        'travel.txt',
      ]);

      // By id too, without waiting; a name already there gets a suffix by default.
      const again = await upload([folderId, a, '--no-wait', '--json']);
      expect(again.code).toBe(0);
      const [row] = JSON.parse(again.stdout) as { file_name: string }[];
      expect(row.file_name).not.toBe('leave.md');
      expect(row.file_name).toMatch(/^leave.*\.md$/);
    });

    it('reports what went wrong and exits 1, uploading nothing', async () => {
      const a = file('a.txt', 'some text');
      const count = async () => (await tenant.as.member.get(`/v1/folders/${folderId}/files`)).body.length;
      const before = await count();

      const unknown = await upload(['no-such-folder', a]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no folder named "no-such-folder"');
      // Another tenant's key sees no such folder, by name or by id.
      const foreign = await upload(['handbook', a], other.keys.member.key);
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toContain('no folder named "handbook"');
      const foreignId = await upload([folderId, a], other.keys.member.key);
      expect(foreignId.code).toBe(1);
      expect(foreignId.stderr).toContain('404');
      const missing = await upload(['handbook', join(dir, 'nope.txt')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('cannot read');
      const notFile = await upload(['handbook', dir]);
      expect(notFile.code).toBe(1);
      expect(notFile.stderr).toContain('is not a file');
      const badMode = await upload(['handbook', a, '--duplicate', 'merge']);
      expect(badMode.code).toBe(1);
      expect(badMode.stderr).toContain("argument 'merge' is invalid");
      expect(await count()).toBe(before);

      // duplicate_handling=error is the server's refusal, named.
      const first = await upload(['handbook', a, '--no-wait']);
      expect(first.code).toBe(0);
      const dup = await upload(['handbook', a, '--duplicate', 'error', '--no-wait']);
      expect(dup.code).toBe(1);
      expect(dup.stderr).toContain(
        "a.txt: the server answered 422: duplicate_handling: a file named 'a.txt' already exists",
      );
      expect(await count()).toBe(before + 1);
    });
  });

  withPostgres('migrate reports an up-to-date database', async () => {
    const r = await cli.run(['migrate'], { DATABASE_URL });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('Database is up to date.');
    expect(r.code).toBe(0);
  });

  describe('doctor', () => {
    const doctor = async (env: Record<string, string | undefined>) => {
      const r = await cli.run(['doctor', '--json'], env);
      return { code: r.code, findings: JSON.parse(r.stdout) as Finding[], stderr: r.stderr };
    };
    const provider = () => ({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseUrl });

    it('passes on a healthy setup and says what it checked', async () => {
      const r = await cli.run(['doctor'], { DATABASE_URL, REDIS_URL, ...provider() });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/^FAIL/m);
      expect(r.stdout).toMatch(/^ok +config/m);
      expect(r.stdout).toMatch(/^ok +provider openai +http:\/\/127\.0\.0\.1:\d+\/v1 lists 3 model\(s\)/m);
      if (DATABASE_URL) {
        expect(r.stdout).toMatch(/^ok +database +PostgreSQL \d+/m);
        expect(r.stdout).toMatch(/^ok +pgvector +pgvector \d+\.\d+/m);
        expect(r.stdout).toMatch(/^ok +migrations +all \d+ applied/m);
      } else {
        expect(r.stdout).toMatch(/^ok +database +embedded Postgres/m);
      }
      if (REDIS_URL) expect(r.stdout).toMatch(/^ok +redis +Redis \d+/m);
      expect(r.stdout.trim().split('\n').at(-1)).toBe('No problems.');
    });

    it('names a malformed DATABASE_URL and stops there', async () => {
      const r = await doctor({ DATABASE_URL: 'mysql://root@127.0.0.1/engram' });
      expect(r.code).toBe(1);
      expect(r.findings).toEqual([
        {
          check: 'config',
          status: 'fail',
          detail: expect.stringContaining('DATABASE_URL: must be a postgres:// URL'),
          fix: expect.any(String),
        },
      ]);
    });

    it('explains an unreachable database, Redis and provider, with a fix for each', async () => {
      const [pg, redis, llm] = await Promise.all([closedPort(), closedPort(), closedPort()]);
      const r = await doctor({
        DATABASE_URL: `postgres://engram:secret-pw@127.0.0.1:${pg}/engram`,
        REDIS_URL: `redis://127.0.0.1:${redis}/0`,
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: `http://127.0.0.1:${llm}/v1`,
      });
      expect(r.code).toBe(1);
      const byCheck = Object.fromEntries(r.findings.map((f) => [f.check, f]));
      expect(byCheck.database).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining(`cannot connect to postgres://engram:***@127.0.0.1:${pg}/engram`),
        fix: 'start PostgreSQL, or fix the host and port in DATABASE_URL',
      });
      expect(JSON.stringify(r.findings)).not.toContain('secret-pw');
      expect(byCheck.redis).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(
          new RegExp(`cannot reach redis://127\\.0\\.0\\.1:${redis}/0: .*ECONNREFUSED`),
        ),
        fix: expect.stringContaining('start Redis'),
      });
      expect(byCheck['provider openai']).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining(`http://127.0.0.1:${llm}/v1 did not answer`),
        fix: expect.stringContaining('is reachable'),
      });
      expect(byCheck.pgvector).toBeUndefined(); // nothing to ask a database we cannot reach
    });

    withPostgres('finds a database without pgvector and its pending migrations', async () => {
      const url = await createScratchDatabase(
        BASE_DATABASE_URL!,
        `engram_doctor_${process.pid}_${Date.now()}`,
      );
      try {
        const r = await doctor({ DATABASE_URL: url, ...provider() });
        expect(r.code).toBe(1);
        const byCheck = Object.fromEntries(r.findings.map((f) => [f.check, f]));
        expect(byCheck.database.status).toBe('ok');
        expect(byCheck.pgvector).toMatchObject({
          status: 'fail',
          detail: expect.stringMatching(
            /pgvector [\d.]+ is on the server but not enabled in database "engram_doctor_/,
          ),
          fix: expect.stringContaining('CREATE EXTENSION vector'),
        });
        expect(byCheck.migrations).toMatchObject({
          status: 'fail',
          detail: expect.stringMatching(
            new RegExp(`^${MIGRATIONS.length} of ${MIGRATIONS.length} pending: Foundation1732406400000, `),
          ),
          fix: expect.stringContaining('engram migrate'),
        });
        expect(byCheck['provider openai'].status).toBe('ok');

        // The fix it gives works: migrate, and the doctor is satisfied.
        const migrated = await cli.run(['migrate'], { DATABASE_URL: url });
        expect(migrated.code).toBe(0);
        expect(migrated.stdout).toContain('Applied: Foundation1732406400000');
        const after = await doctor({ DATABASE_URL: url, ...provider() });
        expect(after.findings.filter((f) => f.status !== 'ok')).toEqual([]);
        expect(after.code).toBe(0);
      } finally {
        await dropScratchDatabase(BASE_DATABASE_URL!, url);
      }
    });
  });
});
