import { createHash } from 'node:crypto';
import type { Pool, QueryConfig } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { endSqlSpan, startSqlSpan } from '../observability/sql-spans';
import { tracingActive } from '../observability/tracing';

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
  return query<T>(ds, { name, text, values });
}

/**
 * A statement whose text is built per call (a CTE whose parts depend on the step: how many
 * messages, which extra writes) but comes in few shapes, named after its text so that each
 * shape is parsed and planned once per connection rather than at every call. pg keeps a
 * connection's named statements for its life, so past `MAX_SHAPES` distinct texts a new one is
 * sent unnamed, as before.
 */
export async function preparedByShape<T>(
  ds: DataSource,
  kind: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  let name = shapes.get(text);
  if (name === undefined && shapes.size < MAX_SHAPES) shapes.set(text, (name = statementName(kind, text)));
  return query<T>(ds, name ? { name, text, values } : { text, values });
}

/**
 * On TypeORM's pool; a failure is TypeORM's QueryFailedError, as from its own queries. With
 * tracing on it has a span like TypeORM's queries have (src/observability/sql-spans.ts).
 */
async function query<T>(ds: DataSource, config: QueryConfig): Promise<T[]> {
  const pool = (ds.driver as PostgresDriver).master as Pool;
  const span = tracingActive() ? startSqlSpan(config.text) : undefined;
  try {
    const { rows } = await pool.query(config);
    if (span) endSqlSpan(span);
    return rows as T[];
  } catch (err) {
    if (span) endSqlSpan(span, err);
    throw new QueryFailedError(config.text, config.values ?? [], err as Error);
  }
}

const MAX_SHAPES = 500;
const shapes = new Map<string, string>();

/** A prepared statement's name derived from its text, so the same text always has the same name. */
export function statementName(kind: string, text: string): string {
  return `engram_${kind}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
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
