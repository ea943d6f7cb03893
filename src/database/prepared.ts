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
  for (const key in row) {
    const value = row[key];
    const name = columnName(key);
    out[name.camel] = name.timestamp && typeof value === 'string' ? new Date(value) : value;
  }
  return out;
}

/** Column names seen so far, converted once (a step reads the same few dozen on every row). */
const columnNames = new Map<string, { camel: string; timestamp: boolean }>();

function columnName(key: string): { camel: string; timestamp: boolean } {
  let name = columnNames.get(key);
  if (!name) {
    name = {
      camel: key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      timestamp: key.endsWith('_at') || key === 'last_run_completion',
    };
    // Keys are column names (a bounded set); the bound only guards against a misuse.
    if (columnNames.size < 10_000) columnNames.set(key, name);
  }
  return name;
}
