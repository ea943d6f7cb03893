import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * A read through a named prepared statement on the pool TypeORM already holds: Postgres plans
 * it once per connection instead of on every call. For hot, fixed-shape reads only (the
 * agent state); writes and transactions go through TypeORM as usual.
 */
export async function preparedRead<T>(
  ds: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const pool = (ds.driver as PostgresDriver).master as Pool;
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
}

/** snake_case row (raw SQL or json_agg) to camelCase entity fields; timestamp columns become Dates. */
export function camelRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[camel] =
      (key.endsWith('_at') || key === 'last_run_completion') && typeof value === 'string'
        ? new Date(value)
        : value;
  }
  return out;
}
