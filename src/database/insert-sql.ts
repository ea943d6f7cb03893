import type { EntityMetadata } from 'typeorm';

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
  const columns = meta.columns.filter((c) => c.isInsert && rows.some((r) => r[c.propertyName] !== undefined));
  const values = rows.map(
    (row) =>
      `(${columns
        .map((c) => {
          const v = row[c.propertyName];
          if (v === undefined) return 'DEFAULT';
          params.push(v !== null && (c.type === 'jsonb' || c.type === 'json') ? JSON.stringify(v) : v);
          return `$${params.length}`;
        })
        .join(', ')})`,
  );
  const names = columns.map((c) => `"${c.databaseName}"`).join(', ');
  return `INSERT INTO "${meta.tableName}" (${names}) VALUES ${values.join(', ')}${returning ? ` RETURNING ${returning}` : ''}`;
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
    params.push(v !== null && (c.type === 'jsonb' || c.type === 'json') ? JSON.stringify(v) : v);
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
