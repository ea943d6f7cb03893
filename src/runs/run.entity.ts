import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type RunStatus = 'created' | 'running' | 'completed' | 'failed' | 'cancelled';

@Entity('runs')
export class RunEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'agent_id' }) agentId: string;
  /** The conversation whose context the run works in; null for the agent's own (default) one. */
  @Column('text', { name: 'conversation_id', nullable: true }) conversationId: string | null;
  @Column('text') status: RunStatus;
  @Column('text', { name: 'stop_reason', nullable: true }) stopReason: string | null;
  @Column('boolean', { default: false }) background: boolean;
  @Column('jsonb', { name: 'request_config', nullable: true }) requestConfig: Record<string, unknown> | null;
  /** The request body, kept for background runs that a worker executes later. */
  @Column('jsonb', { nullable: true }) request: Record<string, unknown> | null;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('text', { name: 'callback_url', nullable: true }) callbackUrl: string | null;
  @Column('timestamptz', { name: 'callback_sent_at', nullable: true }) callbackSentAt: Date | null;
  @Column('integer', { name: 'callback_status_code', nullable: true }) callbackStatusCode: number | null;
  @Column('text', { name: 'callback_error', nullable: true }) callbackError: string | null;
  @Column('jsonb', { nullable: true }) error: { type: string; message: string } | null;
  @Column('jsonb', { nullable: true }) usage: Record<string, unknown> | null;
  @Column('bigint', { name: 'ttft_ns', nullable: true }) ttftNs: string | null;
  @Column('bigint', { name: 'total_duration_ns', nullable: true }) totalDurationNs: string | null;
  @Column('timestamptz', { name: 'lease_expires_at', nullable: true }) leaseExpiresAt: Date | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt: Date | null;
}

export { StepEntity } from '../messages/step.entity';
