import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('agents')
export class AgentEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text') name: string;
  @Column('text', { name: 'agent_type' }) agentType: string;
  @Column('text') system: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('text', { nullable: true }) model: string | null;
  @Column('text', { nullable: true }) embedding: string | null;
  @Column('jsonb', { name: 'llm_config' }) llmConfig: Record<string, unknown>;
  @Column('jsonb', { name: 'embedding_config', nullable: true }) embeddingConfig: Record<
    string,
    unknown
  > | null;
  @Column('jsonb', { name: 'model_settings', nullable: true }) modelSettings: Record<string, unknown> | null;
  @Column('jsonb', { name: 'tool_rules', nullable: true }) toolRules: Record<string, unknown>[] | null;
  @Column('jsonb', { name: 'response_format', nullable: true }) responseFormat: Record<
    string,
    unknown
  > | null;
  @Column('jsonb', { name: 'compaction_settings', nullable: true }) compactionSettings: Record<
    string,
    unknown
  > | null;
  @Column('text', { name: 'message_ids', array: true, default: () => `'{}'` }) messageIds: string[];
  @Column('boolean', { name: 'message_buffer_autoclear', default: false }) messageBufferAutoclear: boolean;
  @Column('text', { nullable: true }) timezone: string | null;
  @Column('integer', { name: 'max_files_open', nullable: true }) maxFilesOpen: number | null;
  @Column('integer', { name: 'per_file_view_window_char_limit', nullable: true }) perFileViewWindowCharLimit:
    number | null;
  @Column('boolean', { nullable: true }) hidden: boolean | null;
  @Column('text', { name: 'project_id', nullable: true }) projectId: string | null;
  @Column('text', { name: 'template_id', nullable: true }) templateId: string | null;
  @Column('text', { name: 'base_template_id', nullable: true }) baseTemplateId: string | null;
  @Column('timestamptz', { name: 'last_run_completion', nullable: true }) lastRunCompletion: Date | null;
  @Column('integer', { name: 'last_run_duration_ms', nullable: true }) lastRunDurationMs: number | null;
  @Column('text', { name: 'last_stop_reason', nullable: true }) lastStopReason: string | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('agent_tags')
export class AgentTagEntity {
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @PrimaryColumn('text', { name: 'agent_id' }) agentId: string;
  @PrimaryColumn('text') tag: string;
}
