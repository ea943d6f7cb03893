import { toSql } from 'pgvector';
import { ftsQuerySql } from './hybrid';
import { HNSW_DIMENSIONS } from '../database/migrations/1795573300000-ArchivalMemory';

/** Positional parameters for hand-written SQL: `p.add(value)` returns its `$n`. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** One model's query vector and the rows (of that model's size) it may be compared with. */
export interface VectorLeg {
  dim: number;
  vector: number[];
  /** SQL restricting the leg to the rows embedded by this model (e.g. `t.archive_id = ANY($2)`). */
  scope: string;
}

export interface HybridSqlInput {
  table: 'passages' | 'messages';
  /** Columns of `t` to return. */
  columns: string;
  /** Filters every leg shares (tenant first), already written against `t` with `params`. */
  where: string[];
  params: SqlParams;
  vectorLegs: VectorLeg[];
  /** Full-text query; null skips the full-text leg. */
  ftsText: string | null;
  depth: number;
  /**
   * Write the distance so that the per-dimension HNSW index can serve it; the planner still
   * sorts exactly when the filtered rows are few. Run such queries with
   * `hnsw.iterative_scan` on, or a selective filter loses recall (DESIGN "Known pitfalls").
   */
  approximate?: boolean;
}

/** Rows come back with `vector_rank` and `fts_rank` (1-based within each leg, null when absent). */
export function hybridSql(input: HybridSqlInput): string {
  const { params: p, depth } = input;
  const where = input.where.join(' AND ');
  const limit = p.add(depth);
  const ctes: string[] = [];
  const vectorNames: string[] = [];
  input.vectorLegs.forEach((leg, i) => {
    const dim = Math.trunc(leg.dim);
    const approx = input.approximate && (HNSW_DIMENSIONS as readonly number[]).includes(dim);
    const type = dim > 2000 ? 'halfvec' : 'vector';
    const q = p.add(toSql(leg.vector));
    const distance = approx
      ? `(t.embedding::${type}(${dim})) <=> ${q}::${type}(${dim})`
      : `t.embedding <=> ${q}::vector`;
    const name = `v${i}`;
    vectorNames.push(name);
    // An index scan yields distance order only: a tie-breaker here would force a full sort.
    // `vec` below orders the candidates by (distance, id) again either way.
    ctes.push(`${name} AS (
      SELECT t.id, ${distance} AS d FROM ${input.table} t
      WHERE ${where} AND ${leg.scope} AND t.embedding_dim = ${dim} AND t.embedding IS NOT NULL
      ORDER BY ${approx ? 'd' : 'd, t.id'} LIMIT ${limit})`);
  });
  const legs: string[] = [];
  if (vectorNames.length) {
    const all = vectorNames.map((n) => `SELECT id, d FROM ${n}`).join(' UNION ALL ');
    ctes.push(
      `vec AS (SELECT id, row_number() OVER (ORDER BY d, id) AS r FROM (${all}) x ORDER BY d, id LIMIT ${limit})`,
    );
    legs.push('SELECT id FROM vec');
  } else {
    ctes.push(`vec AS (SELECT NULL::text AS id, NULL::bigint AS r WHERE false)`);
  }
  if (input.ftsText !== null) {
    const fq = ftsQuerySql(p.add(input.ftsText));
    ctes.push(`fts AS (
      SELECT t.id, row_number() OVER (ORDER BY ts_rank_cd(t.fts, q) DESC, t.id) AS r
      FROM ${input.table} t, ${fq} q
      WHERE ${where} AND t.fts @@ q
      ORDER BY ts_rank_cd(t.fts, q) DESC, t.id LIMIT ${limit})`);
    legs.push('SELECT id FROM fts');
  } else {
    ctes.push(`fts AS (SELECT NULL::text AS id, NULL::bigint AS r WHERE false)`);
  }
  return `WITH ${ctes.join(',\n')}
    SELECT ${input.columns}, vec.r AS vector_rank, fts.r AS fts_rank
    FROM (${legs.length ? legs.join(' UNION ') : 'SELECT NULL::text AS id WHERE false'}) ids
    JOIN ${input.table} t ON t.id = ids.id
    LEFT JOIN vec ON vec.id = t.id
    LEFT JOIN fts ON fts.id = t.id`;
}

export function rankOf(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
