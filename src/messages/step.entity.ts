import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One agent step: written with its messages in one transaction by the message store. */
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
