import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { hybridSql, rankOf, SqlParams, vectorParam, VectorLeg } from './hybrid-sql';
import { PassageEntity } from './passage.entity';

export interface NewPassage {
  id: string;
  archiveId: string;
  text: string;
  tags: string[];
  metadata: Record<string, unknown> | null;
  embedding: number[];
  embeddingConfig: Record<string, unknown> | null;
  createdAt: Date | null;
  createdById: string | null;
}

export interface PassageFilter {
  /** Archives to look in; undefined = every archive of the organization. */
  archiveIds?: string[];
  tags?: string[];
  tagMatchMode?: 'any' | 'all';
  start?: Date;
  end?: Date;
}

export interface RankedPassage {
  passage: PassageEntity;
  id: string;
  vectorRank: number | null;
  ftsRank: number | null;
}

const COLUMNS = `t.id, t.organization_id, t.archive_id, t.file_id, t.file_name, t.source_id, t.text, t.tags, t.metadata,
  t.embedding_dim, t.embedding_config, t.created_by_id, t.last_updated_by_id, t.created_at, t.updated_at`;
const INSERT_CHUNK = 500;
/** HNSW candidate list size for approximate searches; bench/archival measures recall against it. */
const HNSW_EF_SEARCH = 200;
/**
 * Scopes (an agent's archives, an archive, an organization) of up to this many passages are
 * searched exactly: an exact distance sort over 10k rows costs about what an HNSW scan does.
 */
export const EXACT_SEARCH_UP_TO = 10_000;

function toEntity(r: Record<string, unknown>): PassageEntity {
  return Object.assign(new PassageEntity(), {
    id: r.id,
    organizationId: r.organization_id,
    archiveId: r.archive_id,
    fileId: r.file_id,
    fileName: r.file_name,
    sourceId: r.source_id,
    text: r.text,
    tags: r.tags ?? [],
    metadata: r.metadata,
    embeddingDim: r.embedding_dim,
    embeddingConfig: r.embedding_config,
    createdById: r.created_by_id,
    lastUpdatedById: r.last_updated_by_id,
    createdAt: new Date(r.created_at as string),
    updatedAt: new Date(r.updated_at as string),
  } as PassageEntity);
}

@Injectable()
export class PassagesRepository extends TenantRepository<PassageEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(PassageEntity));
  }

  /** Multi-row INSERTs with binary vectors, in chunks, in one transaction (the vectors are made before). */
  async insertMany(organizationId: string, rows: NewPassage[]): Promise<PassageEntity[]> {
    if (rows.length === 0) return [];
    const out: PassageEntity[] = [];
    await this.ds.transaction(async (m) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const p = new SqlParams();
        const org = p.add(organizationId);
        const values = rows
          .slice(i, i + INSERT_CHUNK)
          .map(
            (r) =>
              `(${p.add(r.id)}, ${org}, ${p.add(r.archiveId)}, ${p.add(r.text)}, ${p.add(r.tags)}::text[], ${p.add(
                r.metadata === null ? null : JSON.stringify(r.metadata),
              )}::jsonb, ${p.add(vectorParam(r.embedding))}::vector, ${p.add(r.embedding.length)}::int, ${p.add(
                r.embeddingConfig === null ? null : JSON.stringify(r.embeddingConfig),
              )}::jsonb, ${p.add(r.createdById)}, COALESCE(${p.add(r.createdAt)}::timestamptz, clock_timestamp()))`,
          );
        const inserted: Record<string, unknown>[] = await m.query(
          `INSERT INTO passages AS t (id, organization_id, archive_id, text, tags, metadata, embedding, embedding_dim,
             embedding_config, created_by_id, created_at)
           VALUES ${values.join(', ')} RETURNING ${COLUMNS}`,
          p.values,
        );
        out.push(...inserted.map(toEntity));
      }
    });
    return out;
  }

  list(organizationId: string, archiveIds: string[], search: string | undefined, page: PageRequest) {
    const qb = this.scoped(organizationId, 'p').andWhere('p.archive_id = ANY(:archiveIds)', { archiveIds });
    if (search) {
      qb.andWhere('p.text ILIKE :search', { search: `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    }
    return paginate(qb, 'p', page, 'Passage');
  }

  findInArchives(organizationId: string, archiveIds: string[], id: string): Promise<PassageEntity | null> {
    if (archiveIds.length === 0) return Promise.resolve(null);
    return this.scoped(organizationId, 'p')
      .andWhere('p.id = :id AND p.archive_id = ANY(:archiveIds)', { id, archiveIds })
      .getOne();
  }

  async count(organizationId: string, archiveIds: string[]): Promise<number> {
    if (archiveIds.length === 0) return 0;
    return this.scoped(organizationId, 'p')
      .andWhere('p.archive_id = ANY(:archiveIds)', { archiveIds })
      .getCount();
  }

  async distinctTags(organizationId: string, archiveIds: string[]): Promise<string[]> {
    if (archiveIds.length === 0) return [];
    const rows: { tag: string }[] = await this.ds.query(
      `SELECT DISTINCT unnest(tags) AS tag FROM passages WHERE organization_id = $1 AND archive_id = ANY($2) ORDER BY 1`,
      [organizationId, archiveIds],
    );
    return rows.map((r) => r.tag);
  }

  /**
   * Hybrid candidates: each leg's top `depth` under the filter, with their ranks; fusion is the
   * caller's. The vector leg is written so the planner may use the per-dimension HNSW index: it
   * sorts exactly over a small archive's rows and walks the index for a large one.
   */
  async hybrid(
    organizationId: string,
    f: PassageFilter,
    legs: (params: SqlParams) => VectorLeg[],
    ftsText: string | null,
    depth: number,
    opts: { exact?: boolean } = {},
  ): Promise<RankedPassage[]> {
    const params = new SqlParams();
    const where = this.filterSql(organizationId, f, params);
    // The scope is the archives (already checked to be the tenant's), or the tenant when the
    // search spans its archives: a condition a btree answers alone (an index-only count).
    const scope = f.archiveIds ? where[1] : where[0];
    const sql = hybridSql({
      table: 'passages',
      columns: COLUMNS,
      where,
      params,
      vectorLegs: legs(params),
      ftsText,
      depth,
      approximate: opts.exact ? undefined : { scope, exactUpTo: EXACT_SEARCH_UP_TO },
    });
    const rows: Record<string, unknown>[] = await this.ds.transaction(async (m) => {
      // Keep scanning the graph until enough rows pass the filters (pgvector >= 0.8): a
      // selective filter would otherwise leave the vector leg short of results.
      // No parallel workers and no JIT for an approximate search: the exact branch that a large
      // scope skips was planned as a Gather, and launching its workers (which then find nothing to
      // do) cost 40-70 ms of a search whose SQL otherwise takes about 15 ms (EXPLAIN ANALYZE,
      // 100k passages); a JIT compile would cost more than the whole statement.
      // Planned with its values: real Postgres sessions force generic plans (database.module),
      // which also covers this unnamed statement, and a generic plan cannot tell an agent's 5k
      // rows from a 95k archive: it sorted every row of the table for the per-agent search
      // (200-300 ms against 16-23 ms, bench/archival's database).
      await m.query(
        `SET LOCAL plan_cache_mode = force_custom_plan; ` +
          `SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = ${HNSW_EF_SEARCH}` +
          (opts.exact ? '' : '; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off'),
      );
      return m.query(sql, params.values);
    });
    return rows.map((r) => ({
      passage: toEntity(r),
      id: r.id as string,
      vectorRank: rankOf(r.vector_rank),
      ftsRank: rankOf(r.fts_rank),
    }));
  }

  /** Newest first, for a search without a query. */
  async recent(organizationId: string, f: PassageFilter, limit: number): Promise<PassageEntity[]> {
    const params = new SqlParams();
    const where = this.filterSql(organizationId, f, params);
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM passages t WHERE ${where.join(' AND ')} ORDER BY t.created_at DESC, t.id DESC LIMIT ${params.add(limit)}`,
      params.values,
    );
    return rows.map(toEntity);
  }

  private filterSql(organizationId: string, f: PassageFilter, p: SqlParams): string[] {
    const where = [`t.organization_id = ${p.add(organizationId)}`];
    if (f.archiveIds) where.push(`t.archive_id = ANY(${p.add(f.archiveIds)}::text[])`);
    if (f.tags?.length)
      where.push(`t.tags ${f.tagMatchMode === 'all' ? '@>' : '&&'} ${p.add(f.tags)}::text[]`);
    if (f.start) where.push(`t.created_at >= ${p.add(f.start)}`);
    if (f.end) where.push(`t.created_at <= ${p.add(f.end)}`);
    return where;
  }
}
