import { createServer } from 'node:net';
import { MIGRATIONS } from '../../src/database/migrations';
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
    for (const sub of ['api', 'worker', 'migrate', 'doctor'])
      expect(top.stdout).toMatch(new RegExp(`\\n  ${sub}\\b`));

    const expected: Record<string, string[]> = {
      api: ['--port <port>', '--host <host>', '--cors <origins>', '--auth', 'ENGRAM_AUTH=required'],
      worker: ['--metrics-port <port>'],
      migrate: ['Apply pending database migrations'],
      doctor: ['--json', 'pgvector'],
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
