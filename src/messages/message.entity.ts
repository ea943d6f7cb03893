import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A stored message (recall memory); the runtime's `AgentMessage` maps onto it one to one. */
@Entity('messages')
export class MessageEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'agent_id' }) agentId: string;
  @Column({ type: 'bigint', name: 'sequence_id', insert: false, update: false }) sequenceId: string;
  @Column('text') role: string;
  @Column('jsonb') content: unknown[];
  @Column('jsonb', { name: 'tool_calls', nullable: true }) toolCalls: unknown[] | null;
  @Column('text', { name: 'tool_call_id', nullable: true }) toolCallId: string | null;
  @Column('text', { nullable: true }) name: string | null;
  @Column('jsonb', { name: 'tool_returns', nullable: true }) toolReturns: unknown[] | null;
  @Column('jsonb', { nullable: true }) approvals: unknown[] | null;
  @Column('text', { name: 'approval_request_id', nullable: true }) approvalRequestId: string | null;
  @Column('text', { name: 'run_id', nullable: true }) runId: string | null;
  @Column('text', { name: 'conversation_id', nullable: true }) conversationId: string | null;
  @Column('text', { name: 'step_id', nullable: true }) stepId: string | null;
  @Column('text', { nullable: true }) otid: string | null;
  @Column('text', { name: 'sender_id', nullable: true }) senderId: string | null;
  @Column('boolean', { name: 'is_err', nullable: true }) isErr: boolean | null;
  @Column('text', { nullable: true }) model: string | null;
  @Column('text', { name: 'text_content', default: '' }) textContent: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
