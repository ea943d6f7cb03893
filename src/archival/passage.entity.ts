import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A passage of archival memory. The `embedding` (pgvector) and `fts` (generated tsvector)
 * columns are not mapped: they are written and read only by the repository's SQL.
 */
@Entity('passages')
export class PassageEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'archive_id', nullable: true }) archiveId: string | null;
  @Column('text', { name: 'file_id', nullable: true }) fileId: string | null;
  @Column('text', { name: 'file_name', nullable: true }) fileName: string | null;
  @Column('text', { name: 'source_id', nullable: true }) sourceId: string | null;
  @Column('text') text: string;
  @Column('text', { array: true, default: () => `'{}'` }) tags: string[];
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('integer', { name: 'embedding_dim', nullable: true }) embeddingDim: number | null;
  @Column('jsonb', { name: 'embedding_config', nullable: true }) embeddingConfig: Record<
    string,
    unknown
  > | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
