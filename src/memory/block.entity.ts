import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('blocks')
export class BlockEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text') label: string;
  @Column('text') value: string;
  @Column('integer', { name: 'limit' }) limit: number;
  @Column('text', { nullable: true }) description: string | null;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('text', { array: true, nullable: true }) tags: string[] | null;
  @Column('boolean', { name: 'read_only', default: false }) readOnly: boolean;
  @Column('boolean', { nullable: true }) hidden: boolean | null;
  @Column('boolean', { name: 'is_template', default: false }) isTemplate: boolean;
  @Column('text', { name: 'template_name', nullable: true }) templateName: string | null;
  @Column('text', { name: 'template_id', nullable: true }) templateId: string | null;
  @Column('text', { name: 'base_template_id', nullable: true }) baseTemplateId: string | null;
  @Column('text', { name: 'deployment_id', nullable: true }) deploymentId: string | null;
  @Column('text', { name: 'entity_id', nullable: true }) entityId: string | null;
  @Column('text', { name: 'project_id', nullable: true }) projectId: string | null;
  @Column('boolean', { name: 'preserve_on_migration', nullable: true }) preserveOnMigration: boolean | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('blocks_agents')
export class BlockAgentEntity {
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @PrimaryColumn('text', { name: 'agent_id' }) agentId: string;
  @PrimaryColumn('text', { name: 'block_id' }) blockId: string;
  @Column('text', { name: 'block_label' }) blockLabel: string;
  @Column({ type: 'integer', insert: false, update: false }) position: number;
}
