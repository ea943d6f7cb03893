import { fetchProviderModels, ProviderRegistry, ProviderSettings } from '@engram/llm';
import Redis from 'ioredis';
import { Client } from 'pg';
import { AppConfig, ConfigError, loadConfig } from '../../config/config';
import { MIGRATIONS } from '../../database/migrations';

export type Status = 'ok' | 'warn' | 'fail';

/** One line of the report: what was checked, how it went, and what to do about it. */
export interface Finding {
  check: string;
  status: Status;
  detail: string;
  fix?: string;
}

/** Oldest pgvector with everything the schema uses (HNSW indexes over halfvec for 3072 dims). */
export const MIN_PGVECTOR = '0.7.0';
/** Oldest Redis with Streams (run event replay). */
const MIN_REDIS = '5.0.0';
const TIMEOUT_MS = 5_000;

/** A URL with its password masked, fit for printing. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function olderThan(version: string, min: string): boolean {
  const a = version.split(/[.-]/).map((n) => parseInt(n, 10) || 0);
  const b = min.split('.').map(Number);
  for (let i = 0; i < b.length; i++) {
    if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) < b[i];
  }
  return false;
}

function message(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: unknown[] };
  // Node's AggregateError (IPv4 + IPv6 attempts) has an empty message; its parts name the cause.
  if (!e?.message && Array.isArray(e?.errors)) return e.errors.map(message).join('; ');
  return e?.message || e?.code || String(err);
}

/** Everything `engram doctor` checks, in order; a broken configuration stops the rest. */
export async function diagnose(env: Record<string, string | undefined>): Promise<Finding[]> {
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [
      {
        check: 'config',
        status: 'fail',
        detail: err.message,
        fix: 'correct the variables named above (.env.example describes each)',
      },
    ];
  }
  const findings: Finding[] = [{ check: 'config', status: 'ok', detail: 'environment is valid' }];
  findings.push(...(await checkDatabase(config)));
  findings.push(await checkRedis(config));
  findings.push(...(await checkProviders(env)));
  return findings;
}

export async function checkDatabase(config: AppConfig): Promise<Finding[]> {
  const url = config.database.url;
  if (!url) {
    return [
      {
        check: 'database',
        status: 'ok',
        detail: `embedded Postgres (PGlite with pgvector) under ${config.dataDir}, migrated at start-up`,
      },
    ];
  }
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    return [
      {
        check: 'database',
        status: 'fail',
        detail: `cannot connect to ${redact(url)}: ${message(err)}`,
        fix: connectFix(err),
      },
    ];
  }
  try {
    const findings: Finding[] = [];
    const { rows } = await client.query<{ version: string; db: string }>(
      "SELECT current_setting('server_version') AS version, current_database() AS db",
    );
    findings.push({
      check: 'database',
      status: 'ok',
      detail: `PostgreSQL ${rows[0].version} at ${redact(url)}`,
    });
    findings.push(await checkPgvector(client, rows[0].db));
    findings.push(await checkMigrations(client));
    return findings;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function connectFix(err: unknown): string {
  const code = (err as { code?: string })?.code ?? '';
  const text = message(err);
  if (code === '3D000') return 'create the database (createdb <name>) or fix its name in DATABASE_URL';
  if (code === '28P01' || code === '28000') return 'fix the user or password in DATABASE_URL';
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|timeout/i.test(`${code} ${text}`)) {
    return 'start PostgreSQL, or fix the host and port in DATABASE_URL';
  }
  return 'check DATABASE_URL and that the server accepts this client (pg_hba.conf, TLS)';
}

async function checkPgvector(client: Client, db: string): Promise<Finding> {
  const installed = await client.query<{ v: string }>(
    "SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'",
  );
  if (installed.rows.length === 0) {
    const available = await client.query<{ v: string }>(
      "SELECT default_version AS v FROM pg_available_extensions WHERE name = 'vector'",
    );
    return available.rows.length
      ? {
          check: 'pgvector',
          status: 'fail',
          detail: `pgvector ${available.rows[0].v} is on the server but not enabled in database "${db}"`,
          fix: `run \`engram migrate\` (it creates the extension) or, as a superuser: CREATE EXTENSION vector;`,
        }
      : {
          check: 'pgvector',
          status: 'fail',
          detail: 'the pgvector extension is not installed on this PostgreSQL server',
          fix: `install pgvector >= ${MIN_PGVECTOR} on the server (Debian: postgresql-<major>-pgvector; Docker: the pgvector/pgvector image), then run \`engram migrate\``,
        };
  }
  const version = installed.rows[0].v;
  if (olderThan(version, MIN_PGVECTOR)) {
    return {
      check: 'pgvector',
      status: 'fail',
      detail: `pgvector ${version} is older than ${MIN_PGVECTOR} (halfvec indexes need it)`,
      fix: `upgrade the pgvector package on the server, then: ALTER EXTENSION vector UPDATE;`,
    };
  }
  return { check: 'pgvector', status: 'ok', detail: `pgvector ${version}` };
}

async function checkMigrations(client: Client): Promise<Finding> {
  const known = MIGRATIONS.map((M) => new M().name ?? M.name);
  let applied: string[] = [];
  try {
    applied = (await client.query<{ name: string }>('SELECT name FROM migrations')).rows.map((r) => r.name);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P01') throw err; // 42P01: no migrations table yet
  }
  const pending = known.filter((n) => !applied.includes(n));
  const unknown = applied.filter((n) => !known.includes(n));
  if (pending.length) {
    return {
      check: 'migrations',
      status: 'fail',
      detail: `${pending.length} of ${known.length} pending: ${pending.join(', ')}`,
      fix: 'run `engram migrate` (the Kubernetes migration Job does this on deploy)',
    };
  }
  if (unknown.length) {
    return {
      check: 'migrations',
      status: 'warn',
      detail: `the database has migrations this build does not know (${unknown.join(', ')}): a newer Engram ran here`,
      fix: 'run the Engram version that matches the database',
    };
  }
  return { check: 'migrations', status: 'ok', detail: `all ${known.length} applied` };
}

export async function checkRedis(config: AppConfig): Promise<Finding> {
  const url = config.redisUrl;
  if (!url) {
    return {
      check: 'redis',
      status: 'ok',
      detail: 'not configured: queues and run events are in-process (one API process, no worker)',
    };
  }
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // ioredis rejects with "Connection is closed."; the socket's own error says why.
  let socketError: unknown;
  redis.on('error', (err) => (socketError ??= err));
  try {
    await redis.connect();
    await redis.ping();
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    if (version !== 'unknown' && olderThan(version, MIN_REDIS)) {
      return {
        check: 'redis',
        status: 'fail',
        detail: `Redis ${version} at ${redact(url)} is older than ${MIN_REDIS} (Streams are needed)`,
        fix: `upgrade Redis to ${MIN_REDIS} or later`,
      };
    }
    return { check: 'redis', status: 'ok', detail: `Redis ${version} at ${redact(url)}` };
  } catch (err) {
    const text = message(socketError ?? err);
    return {
      check: 'redis',
      status: 'fail',
      detail: `cannot reach ${redact(url)}: ${text}`,
      fix: /NOAUTH|WRONGPASS|invalid password/i.test(text)
        ? 'fix the password in REDIS_URL'
        : 'start Redis, or fix the host and port in REDIS_URL (unset it to run without Redis)',
    };
  } finally {
    redis.disconnect();
  }
}

export async function checkProviders(env: Record<string, string | undefined>): Promise<Finding[]> {
  let providers: ProviderSettings[];
  try {
    providers = ProviderRegistry.fromEnv(env).listProviders();
  } catch (err) {
    return [
      { check: 'providers', status: 'fail', detail: message(err), fix: 'correct the variable named above' },
    ];
  }
  if (providers.length === 0) {
    return [
      {
        check: 'providers',
        status: 'warn',
        detail: 'no LLM provider is configured: agents can be managed but cannot answer',
        fix: 'set OPENAI_API_KEY, ANTHROPIC_API_KEY, OLLAMA_BASE_URL or another provider variable (.env.example)',
      },
    ];
  }
  return Promise.all(
    providers.map(async (p): Promise<Finding> => {
      const check = `provider ${p.name}`;
      try {
        const models = await fetchProviderModels(p, TIMEOUT_MS);
        return { check, status: 'ok', detail: `${p.baseUrl} lists ${models.length} model(s)` };
      } catch (err) {
        const status = (err as { status?: number }).status;
        const auth = status === 401 || status === 403;
        return {
          check,
          status: 'fail',
          detail: `${p.baseUrl} did not answer the model list: ${status ? `HTTP ${status} ` : ''}${message(err)}`,
          fix: auth
            ? `check ${p.envVar ?? 'the API key'}: the provider refused it`
            : `check that ${p.baseUrl} is reachable from here${p.envVar ? ` (set by ${p.envVar} or its base-URL variable)` : ''}`,
        };
      }
    }),
  );
}
