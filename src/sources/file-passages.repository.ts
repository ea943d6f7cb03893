import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { hybridSql, rankOf, SqlParams, vectorParam } from '../archival/hybrid-sql';
import { PassageEntity } from '../archival/passage.entity';
import { PageRequest, paginate } from '../common/pagination';

export interface NewFilePassage {
  id: string;
  text: string;
  startLine: number;
  endLine: number;
  embedding: number[];
}

export interface FilePassageHit {
  id: string;
  fileId: string;
  fileName: string;
  sourceId: string;
  text: string;
  startLine: number | null;
  endLine: number | null;
  vectorRank: number | null;
  ftsRank: number | null;
}

const INSERT_CHUNK = 200;

/** The passages of folders' files (`passages` rows with `file_id` and `source_id`, no archive). */
@Injectable()
export class FilePassagesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(
    organizationId: string,
    file: { id: string; sourceId: string; fileName: string },
    embeddingConfig: Record<string, unknown>,
    rows: NewFilePassage[],
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const p = new SqlParams();
      const org = p.add(organizationId);
      const fileId = p.add(file.id);
      const sourceId = p.add(file.sourceId);
      const fileName = p.add(file.fileName);
      const config = p.add(JSON.stringify(embeddingConfig));
      const values = rows
        .slice(i, i + INSERT_CHUNK)
        .map(
          (r) =>
            `(${p.add(r.id)}, ${org}, ${fileId}, ${fileName}, ${sourceId}, ${p.add(r.text)}, ${p.add(
              JSON.stringify({ start_line: r.startLine, end_line: r.endLine }),
            )}::jsonb, ${p.add(vectorParam(r.embedding))}::vector, ${p.add(r.embedding.length)}::int, ${config}::jsonb)`,
        );
      await this.ds.query(
        `INSERT INTO passages (id, organization_id, file_id, file_name, source_id, text, metadata, embedding,
           embedding_dim, embedding_config)
         VALUES ${values.join(', ')}`,
        p.values,
      );
    }
  }

  /** The passages of a folder's files, paged. */
  list(organizationId: string, sourceId: string, page: PageRequest): Promise<PassageEntity[]> {
    const qb = this.ds
      .getRepository(PassageEntity)
      .createQueryBuilder('p')
      .where('p.organization_id = :organizationId AND p.source_id = :sourceId', { organizationId, sourceId });
    return paginate(qb, 'p', page, 'Passage');
  }

  async deleteForFile(organizationId: string, fileId: string): Promise<void> {
    await this.ds.query(`DELETE FROM passages WHERE organization_id = $1 AND file_id = $2`, [
      organizationId,
      fileId,
    ]);
  }

  async countForFile(organizationId: string, fileId: string): Promise<number> {
    const [{ n }] = (await this.ds.query(
      `SELECT count(*)::int AS n FROM passages WHERE organization_id = $1 AND file_id = $2`,
      [organizationId, fileId],
    )) as Array<{ n: number }>;
    return n;
  }

  /**
   * Hybrid (vector + full text) candidates among the passages of these folders: an exact
   * distance sort over the folders' rows (DESIGN: per-owner HNSW scans lose recall).
   */
  async search(
    organizationId: string,
    sourceIds: string[],
    query: { text: string; vector: number[] | null },
    depth: number,
  ): Promise<FilePassageHit[]> {
    if (sourceIds.length === 0) return [];
    const params = new SqlParams();
    const where = [
      `t.organization_id = ${params.add(organizationId)}`,
      `t.source_id = ANY(${params.add(sourceIds)}::text[])`,
      `t.file_id IS NOT NULL`,
    ];
    const sql = hybridSql({
      table: 'passages',
      columns: 't.id, t.file_id, t.file_name, t.source_id, t.text, t.metadata',
      where,
      params,
      vectorLegs: query.vector ? [{ dim: query.vector.length, vector: query.vector, scope: 'true' }] : [],
      ftsText: query.text,
      depth,
    });
    const rows: Record<string, unknown>[] = await this.ds.query(sql, params.values);
    return rows.map((r) => {
      const meta = (r.metadata ?? {}) as { start_line?: number; end_line?: number };
      return {
        id: r.id as string,
        fileId: r.file_id as string,
        fileName: r.file_name as string,
        sourceId: r.source_id as string,
        text: r.text as string,
        startLine: meta.start_line ?? null,
        endLine: meta.end_line ?? null,
        vectorRank: rankOf(r.vector_rank),
        ftsRank: rankOf(r.fts_rank),
      };
    });
  }
}
