import type { EntityMetadata } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/**
 * The text and parameters of a multi-row `INSERT INTO <table> (...) VALUES (...), (...)` for
 * entity-shaped rows, numbering its parameters from `params.length + 1` and appending to
 * `params`: for statements that write several tables at once (data-modifying CTEs), where
 * TypeORM would send one INSERT per table. As TypeORM does, an undefined field is DEFAULT and a
 * json/jsonb field is sent as JSON text.
 */
export function insertValuesSql(
  meta: EntityMetadata,
  rows: Record<string, unknown>[],
  params: unknown[],
  returning?: string,
): string {
  const { names, tuples } = valueTuples(meta, rows, params);
  return `INSERT INTO "${meta.tableName}" (${names}) VALUES ${tuples.map((t) => `(${t})`).join(', ')}${returning ? ` RETURNING ${returning}` : ''}`;
}

/**
 * `INSERT INTO <table> (...) SELECT <row's values> <from>`: one entity-shaped row, inserted only
 * when `from` (e.g. `FROM agents WHERE ...`) yields a row. Postgres infers each parameter's type
 * from its column, as in a VALUES list.
 */
export function insertSelectSql(
  meta: EntityMetadata,
  row: Record<string, unknown>,
  params: unknown[],
  from: string,
  returning?: string,
): string {
  // One row: only its defined fields are columns, so no value is DEFAULT (not allowed in a SELECT).
  const { names, tuples } = valueTuples(meta, [row], params);
  return `INSERT INTO "${meta.tableName}" (${names}) SELECT ${tuples[0]} ${from}${returning ? ` RETURNING ${returning}` : ''}`;
}

/** A column's value as a parameter: json/jsonb as JSON text, a text array as array text. */
function paramOf(c: ColumnMetadata, v: unknown): unknown {
  if (v === null) return v;
  if (c.type === 'jsonb' || c.type === 'json') return JSON.stringify(v);
  if (c.isArray && Array.isArray(v)) return textArrayParam(v);
  return v;
}

/**
 * A string array as Postgres array text (`{"a","b"}`), every element quoted, when none holds a
 * quote or a backslash (ids, tags: nothing to escape); anything else is left to pg, whose
 * serializer escapes element by element with a regular expression: for a step's in-context id
 * list at 400 messages, about 0.2 ms of the server's CPU per step in a profile of bench/step.
 */
export function textArrayParam(values: unknown[]): unknown {
  if (values.length === 0) return '{}';
  for (const v of values) if (typeof v !== 'string' || v.includes('"') || v.includes('\\')) return values;
  return `{"${values.join('","')}"}`;
}

function valueTuples(
  meta: EntityMetadata,
  rows: Record<string, unknown>[],
  params: unknown[],
): { names: string; tuples: string[] } {
  const columns = meta.columns.filter((c) => c.isInsert && rows.some((r) => r[c.propertyName] !== undefined));
  const tuples = rows.map((row) =>
    columns
      .map((c) => {
        const v = row[c.propertyName];
        if (v === undefined) return 'DEFAULT';
        params.push(paramOf(c, v));
        return `$${params.length}`;
      })
      .join(', '),
  );
  return { names: columns.map((c) => `"${c.databaseName}"`).join(', '), tuples };
}

/**
 * `col = $n, ...` for an entity-shaped patch (undefined fields left out, json/jsonb as JSON
 * text), numbering from `params.length + 1` and appending to `params`; with an
 * `@UpdateDateColumn`, `updated_at = now()` as TypeORM's update does.
 */
export function updateSetSql(
  meta: EntityMetadata,
  patch: Record<string, unknown>,
  params: unknown[],
): string {
  const sets: string[] = [];
  for (const c of meta.columns) {
    if (c.isUpdateDate) {
      sets.push(`"${c.databaseName}" = now()`);
      continue;
    }
    const v = patch[c.propertyName];
    if (v === undefined || !c.isUpdate) continue;
    params.push(paramOf(c, v));
    sets.push(`"${c.databaseName}" = $${params.length}`);
  }
  return sets.join(', ');
}

/** The rows of `DataSource.query`: TypeORM answers an UPDATE or DELETE with `[rows, rowCount]`. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  const r = result as unknown[];
  return (Array.isArray(r[0]) && typeof r[1] === 'number' && r.length === 2 ? r[0] : r) as Record<
    string,
    unknown
  >[];
}
