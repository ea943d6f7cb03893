import Redis from 'ioredis';
import { Client } from 'pg';
import { AppConfig, ConfigError } from './config';

/**
 * Boot-time check that the configured Postgres and Redis answer, so a wrong DATABASE_URL or
 * REDIS_URL stops the process within `ENGRAM_CONNECT_TIMEOUT_MS` with one message naming the
 * variable, instead of retrying for half a minute (TypeORM) or booting anyway and logging
 * connection errors forever (ioredis).
 */
export async function checkDependencies(config: AppConfig): Promise<void> {
  const problems = await Promise.all([checkPostgres(config), checkRedis(config)]);
  const found = problems.filter((p): p is string => Boolean(p));
  if (found.length > 0) throw new ConfigError(found.join('; '));
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

async function checkPostgres(config: AppConfig): Promise<string | undefined> {
  const url = config.database.url;
  if (!url) return undefined;
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: config.connectTimeoutMs,
    query_timeout: config.connectTimeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `DATABASE_URL: cannot use ${redactUrl(url)}: ${describe(err)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(config: AppConfig): Promise<string | undefined> {
  const url = config.redisUrl;
  if (!url) return undefined;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.connectTimeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (err) {
    return `REDIS_URL: cannot use ${redactUrl(url)}: ${describe(err)}`;
  } finally {
    redis.disconnect();
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: Array<{ message?: string }> };
  // Node reports a refused dual-stack connect as an AggregateError with an empty message.
  const message = e?.message || e?.errors?.map((x) => x.message).join(', ') || e?.code || String(err);
  return message.replace(/\s+/g, ' ').trim();
}
