import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type RunStatus = 'created' | 'running' | 'completed' | 'failed' | 'cancelled';

@Entity('runs')
export class RunEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'agent_id' }) agentId: string;
  @Column('text') status: RunStatus;
  @Column('text', { name: 'stop_reason', nullable: true }) stopReason: string | null;
  @Column('boolean', { default: false }) background: boolean;
  @Column('jsonb', { name: 'request_config', nullable: true }) requestConfig: Record<string, unknown> | null;
  /** The request body, kept for background runs that a worker executes later. */
  @Column('jsonb', { nullable: true }) request: Record<string, unknown> | null;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('text', { name: 'callback_url', nullable: true }) callbackUrl: string | null;
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

@Entity('steps')
export class StepEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'agent_id' }) agentId: string;
  @Column('text', { name: 'run_id', nullable: true }) runId: string | null;
  @Column('integer', { name: 'step_index', default: 0 }) stepIndex: number;
  @Column('text', { default: 'success' }) status: string;
  @Column('text', { name: 'stop_reason', nullable: true }) stopReason: string | null;
  @Column('text', { name: 'provider_name', nullable: true }) providerName: string | null;
  @Column('text', { nullable: true }) model: string | null;
  @Column('text', { name: 'model_handle', nullable: true }) modelHandle: string | null;
  @Column('text', { name: 'model_endpoint', nullable: true }) modelEndpoint: string | null;
  @Column('integer', { name: 'context_window_limit', nullable: true }) contextWindowLimit: number | null;
  @Column('integer', { name: 'prompt_tokens', default: 0 }) promptTokens: number;
  @Column('integer', { name: 'completion_tokens', default: 0 }) completionTokens: number;
  @Column('integer', { name: 'total_tokens', default: 0 }) totalTokens: number;
  @Column('integer', { name: 'cached_input_tokens', nullable: true }) cachedInputTokens: number | null;
  @Column('integer', { name: 'reasoning_tokens', nullable: true }) reasoningTokens: number | null;
  /** Nanoseconds (bigint: pg returns it as a string). */
  @Column('bigint', { name: 'step_ns', nullable: true }) stepNs: string | null;
  @Column('bigint', { name: 'llm_request_ns', nullable: true }) llmRequestNs: string | null;
  @Column('bigint', { name: 'tool_execution_ns', nullable: true }) toolExecutionNs: string | null;
  @Column('text', { nullable: true }) feedback: string | null;
  @Column('text', { array: true, default: () => `'{}'` }) tags: string[];
  @Column('text', { name: 'error_type', nullable: true }) errorType: string | null;
  @Column('jsonb', { name: 'error_data', nullable: true }) errorData: Record<string, unknown> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
