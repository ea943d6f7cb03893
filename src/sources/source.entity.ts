import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A folder (Letta's source): a named collection of files embedded with one embedding model. */
@Entity('sources')
export class SourceEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { nullable: true }) instructions: string | null;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('jsonb', { name: 'embedding_config' }) embeddingConfig: Record<string, unknown>;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

/** An agent's attached folder. */
@Entity('sources_agents')
export class SourceAgentEntity {
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @PrimaryColumn('text', { name: 'agent_id' }) agentId: string;
  @PrimaryColumn('text', { name: 'source_id' }) sourceId: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

/** Letta's Folder (and the older Source: the same shape plus `vector_db_provider`). */
export function toFolderDto(s: SourceEntity) {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    instructions: s.instructions,
    metadata: s.metadata,
    embedding_config: s.embeddingConfig,
    vector_db_provider: 'native',
    organization_id: s.organizationId,
    created_by_id: s.createdById,
    last_updated_by_id: s.lastUpdatedById,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}
