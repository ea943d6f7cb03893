/**
 * Reciprocal rank fusion of a vector leg and a full-text leg, shared by archival (passages)
 * and recall (messages) search. Pure: the SQL returns each candidate's rank in each leg
 * (1-based, null when absent from a leg) and this orders them.
 */

/** Letta's (and the RRF paper's) constant. */
export const RRF_K = 60;
/** Largest passage text or query we accept, in characters. */
export const MAX_TEXT_CHARS = 100_000;
export const MAX_QUERY_CHARS = 10_000;

export interface RankedCandidate {
  id: string;
  vectorRank: number | null;
  ftsRank: number | null;
}

export interface Fused<T extends RankedCandidate> {
  item: T;
  rrfScore: number;
  vectorRank: number | null;
  ftsRank: number | null;
}

export function rrfScore(vectorRank: number | null, ftsRank: number | null, k = RRF_K): number {
  return (vectorRank === null ? 0 : 1 / (k + vectorRank)) + (ftsRank === null ? 0 : 1 / (k + ftsRank));
}

/**
 * Orders by RRF score (highest first); ties go to the better single-leg rank, then the id, so
 * the order never depends on the database's row order.
 */
export function fuse<T extends RankedCandidate>(candidates: T[], limit: number, k = RRF_K): Fused<T>[] {
  const best = (c: RankedCandidate) => Math.min(c.vectorRank ?? Infinity, c.ftsRank ?? Infinity);
  return candidates
    .filter((c) => c.vectorRank !== null || c.ftsRank !== null)
    .map((c) => ({
      item: c,
      rrfScore: rrfScore(c.vectorRank, c.ftsRank, k),
      vectorRank: c.vectorRank,
      ftsRank: c.ftsRank,
    }))
    .sort(
      (a, b) =>
        b.rrfScore - a.rrfScore ||
        best(a.item) - best(b.item) ||
        (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0),
    )
    .slice(0, limit);
}

/** Candidates each leg contributes before fusion: deeper than the answer so fusion can promote. */
export function legDepth(limit: number): number {
  return Math.min(1000, Math.max(50, limit * 5));
}

/**
 * SQL for the full-text query of `$param`: the query's stemmed words OR-ed together (a document
 * that shares more of them ranks higher under ts_rank_cd), so a long natural-language query still
 * matches documents that contain only some of its words.
 */
export function ftsQuerySql(param: string): string {
  return `to_tsquery('english', replace(plainto_tsquery('english', ${param})::text, ' & ', ' | '))`;
}

/** Most query words the pairs query below is built from (16 words are 120 pairs). */
export const FTS_PAIR_WORDS = 16;

/**
 * SQL for a tsquery matching documents that contain at least two of the stemmed words of
 * `$param` (the OR of every pair of them, from its first FTS_PAIR_WORDS distinct words in
 * alphabetical order); NULL when it has fewer than two. A GIN index answers it from the words'
 * posting lists, so it is cheap even when each word alone matches thousands of rows.
 */
export function ftsPairsQuerySql(param: string): string {
  // Each lexeme quoted for tsquery input: quote and backslash doubled.
  const quoted = (x: string) =>
    `chr(39) || replace(replace(${x}, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39)) || chr(39)`;
  return `(SELECT string_agg(${quoted('a.l')} || ' & ' || ${quoted('b.l')}, ' | ')::tsquery
    FROM (SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', ${param}))) AS l ORDER BY 1 LIMIT ${FTS_PAIR_WORDS}) a
    JOIN (SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', ${param}))) AS l ORDER BY 1 LIMIT ${FTS_PAIR_WORDS}) b
    ON a.l < b.l)`;
}
