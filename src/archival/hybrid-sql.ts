import { toSql } from 'pgvector';
import { ftsPairsQuerySql, ftsQuerySql } from './hybrid';
import { ANN_DIMENSIONS } from '../database/migrations/1796500000000-ArchivalSearchSpeed';

/** Positional parameters for hand-written SQL: `p.add(value)` returns its `$n`. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * A vector as a binary parameter for `$n::vector` (pgvector's wire format: int16 dimensions,
 * int16 zero, float4s, big-endian). pg sends a Buffer in binary, so neither side formats or
 * parses 384 decimal numbers per row (a batch insert spent most of its client CPU there).
 * Only for `::vector` parameters: `::halfvec` has a format of its own.
 */
export function vectorParam(v: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(4 + 4 * v.length);
  b.writeInt16BE(v.length, 0);
  b.writeInt16BE(0, 2);
  for (let i = 0; i < v.length; i++) b.writeFloatBE(v[i], 4 + 4 * i);
  return b;
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
   * Let a large scope use the per-dimension HNSW index. The statement first counts the rows of
   * `scope` (SQL against `t`, e.g. tenant and archives), stopping at `exactUpTo + 1`: up to
   * `exactUpTo` rows the vector leg is an exact distance sort (so an agent's or a small
   * archive's search is exact, DESIGN "Known pitfalls"), above it an HNSW scan. Both are in the
   * statement; a one-time filter runs only one. Run it with `hnsw.iterative_scan` on, or a
   * selective filter leaves the HNSW leg short.
   */
  approximate?: { scope: string; exactUpTo: number };
}

/** Rows come back with `vector_rank` and `fts_rank` (1-based within each leg, null when absent). */
export function hybridSql(input: HybridSqlInput): string {
  const { params: p, depth } = input;
  const where = input.where.join(' AND ');
  const limit = p.add(depth);
  const ctes: string[] = [];
  const vectorNames: string[] = [];
  const approx = input.approximate;
  if (approx && input.vectorLegs.length) {
    ctes.push(`scope_rows AS (SELECT count(*) AS n FROM (
      SELECT 1 FROM ${input.table} t WHERE ${approx.scope} LIMIT ${Math.trunc(approx.exactUpTo) + 1}) s)`);
  }
  input.vectorLegs.forEach((leg, i) => {
    const dim = Math.trunc(leg.dim);
    const q = p.add(toSql(leg.vector));
    const rows = `FROM ${input.table} t
      WHERE ${where} AND ${leg.scope} AND t.embedding_dim = ${dim} AND t.embedding IS NOT NULL`;
    const exact = `SELECT t.id, t.embedding <=> ${q}::vector AS d ${rows}`;
    if (approx && (ANN_DIMENSIONS as readonly number[]).includes(dim)) {
      const small = `(SELECT n FROM scope_rows) <= ${Math.trunc(approx.exactUpTo)}`;
      // An index scan yields distance order only: a tie-breaker there would force a full sort.
      // `vec` below orders the candidates by (distance, id) either way.
      ctes.push(`v${i}e AS (${exact} AND ${small} ORDER BY d, t.id LIMIT ${limit})`);
      ctes.push(`v${i}a AS (
        SELECT t.id, (t.embedding::halfvec(${dim})) <=> ${q}::halfvec(${dim}) AS d ${rows} AND NOT ${small}
        ORDER BY d LIMIT ${limit})`);
      vectorNames.push(`v${i}e`, `v${i}a`);
    } else {
      ctes.push(`v${i} AS (${exact} ORDER BY d, t.id LIMIT ${limit})`);
      vectorNames.push(`v${i}`);
    }
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
    // Two tiers, so the leg never ranks every row that shares one common word with the query:
    // rows with at least two of the query's words first (the GIN index finds them through
    // word pairs, and they are few), ranked by ts_rank_cd; only when they are fewer than
    // `depth`, rows with one of its words fill up the rest, ranked the same way.
    const text = p.add(input.ftsText);
    ctes.push(`fts_q AS (SELECT ${ftsQuerySql(text)} AS q, ${ftsPairsQuerySql(text)} AS q2)`);
    ctes.push(`fts2 AS (
      SELECT t.id, ts_rank_cd(t.fts, fts_q.q) AS s FROM ${input.table} t, fts_q
      WHERE ${where} AND t.fts @@ fts_q.q2
      ORDER BY s DESC, t.id LIMIT ${limit})`);
    ctes.push(`fts1 AS (
      SELECT t.id, ts_rank_cd(t.fts, fts_q.q) AS s FROM ${input.table} t, fts_q
      WHERE ${where} AND t.fts @@ fts_q.q AND NOT COALESCE(t.fts @@ fts_q.q2, false) AND (SELECT count(*) FROM fts2) < ${limit}
      ORDER BY s DESC, t.id LIMIT ${limit})`);
    ctes.push(`fts AS (
      SELECT id, row_number() OVER (ORDER BY tier, s DESC, id) AS r
      FROM (SELECT id, s, 0 AS tier FROM fts2 UNION ALL SELECT id, s, 1 AS tier FROM fts1) x
      ORDER BY tier, s DESC, id LIMIT ${limit})`);
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
