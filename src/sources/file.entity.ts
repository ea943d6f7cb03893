import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const PROCESSING_STATUSES = ['pending', 'parsing', 'embedding', 'completed', 'error'] as const;
export type ProcessingStatus = (typeof PROCESSING_STATUSES)[number];

/** A file in a folder (Letta's FileMetadata). Its bytes are in FileStorage, its text in `file_contents`. */
@Entity('files')
export class FileEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'source_id' }) sourceId: string;
  @Column('text', { name: 'file_name' }) fileName: string;
  @Column('text', { name: 'original_file_name' }) originalFileName: string;
  @Column('text', { name: 'file_path', nullable: true }) filePath: string | null;
  @Column('text', { name: 'file_type', nullable: true }) fileType: string | null;
  @Column('bigint', {
    name: 'file_size',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  fileSize: number | null;
  @Column('text', { name: 'processing_status' }) processingStatus: ProcessingStatus;
  @Column('text', { name: 'error_message', nullable: true }) errorMessage: string | null;
  @Column('integer', { name: 'total_chunks', nullable: true }) totalChunks: number | null;
  @Column('integer', { name: 'chunks_embedded', nullable: true }) chunksEmbedded: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

/** A file's parsed text (what agents read, grep and open). */
@Entity('file_contents')
export class FileContentEntity {
  @PrimaryColumn('text', { name: 'file_id' }) fileId: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text') text: string;
}

/** One agent's view of one file of an attached folder. */
@Entity('files_agents')
export class FileAgentEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'agent_id' }) agentId: string;
  @Column('text', { name: 'file_id' }) fileId: string;
  @Column('text', { name: 'source_id' }) sourceId: string;
  @Column('text', { name: 'file_name' }) fileName: string;
  @Column('boolean', { name: 'is_open' }) isOpen: boolean;
  @Column('text', { name: 'visible_content', nullable: true }) visibleContent: string | null;
  @Column('integer', { name: 'start_line', nullable: true }) startLine: number | null;
  @Column('integer', { name: 'end_line', nullable: true }) endLine: number | null;
  @Column('timestamptz', { name: 'last_accessed_at' }) lastAccessedAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

/** Letta's FileMetadata; `content` only when asked for. */
export function toFileDto(f: FileEntity, content?: string | null) {
  return {
    id: f.id,
    source_id: f.sourceId,
    folder_id: f.sourceId,
    organization_id: f.organizationId,
    file_name: f.fileName,
    original_file_name: f.originalFileName,
    file_path: f.filePath,
    file_type: f.fileType,
    file_size: f.fileSize,
    file_creation_date: null,
    file_last_modified_date: null,
    processing_status: f.processingStatus,
    error_message: f.errorMessage,
    total_chunks: f.totalChunks,
    chunks_embedded: f.chunksEmbedded,
    content: content === undefined ? null : content,
    created_at: f.createdAt.toISOString(),
    updated_at: f.updatedAt.toISOString(),
  };
}
