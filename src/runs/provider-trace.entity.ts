import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A step's LLM call as the provider saw it (Letta's ProviderTrace); written with the step. */
@Entity('provider_traces')
export class ProviderTraceEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'step_id' }) stepId: string;
  @Column('text', { name: 'run_id', nullable: true }) runId: string | null;
  @Column('text', { name: 'agent_id' }) agentId: string;
  @Column('text', { name: 'call_type', default: 'agent_step' }) callType: string;
  @Column('jsonb', { name: 'request_json' }) requestJson: Record<string, unknown>;
  @Column('jsonb', { name: 'response_json' }) responseJson: Record<string, unknown>;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
