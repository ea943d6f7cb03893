import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('archives')
export class ArchiveEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('jsonb', { name: 'embedding_config', nullable: true }) embeddingConfig: Record<
    string,
    unknown
  > | null;
  @Column('text', { name: 'vector_db_provider', default: 'native' }) vectorDbProvider: string;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('archives_agents')
export class ArchiveAgentEntity {
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @PrimaryColumn('text', { name: 'agent_id' }) agentId: string;
  @PrimaryColumn('text', { name: 'archive_id' }) archiveId: string;
  @Column('boolean', { name: 'is_owner', default: false }) isOwner: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
