import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A conversation: one message thread on an agent. It shares the agent's memory blocks and tools
 * but has its own in-context messages (its own system message first), which the agent loop reads
 * and writes instead of the agent's when a run names the conversation.
 */
@Entity('conversations')
export class ConversationEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'agent_id' }) agentId: string;
  @Column('text', { nullable: true }) summary: string | null;
  @Column('text', { nullable: true }) description: string | null;
  /** A model handle that replaces the agent's for this conversation's runs. */
  @Column('text', { nullable: true }) model: string | null;
  @Column('integer', { name: 'context_window_limit', nullable: true }) contextWindowLimit: number | null;
  @Column('boolean', { default: false }) hidden: boolean;
  @Column('boolean', { default: false }) archived: boolean;
  @Column('timestamptz', { name: 'archived_at', nullable: true }) archivedAt: Date | null;
  @Column('text', { array: true, name: 'in_context_message_ids', default: () => "'{}'" })
  inContextMessageIds: string[];
  /** Messages a fork took over from its source: part of its history without carrying its id. */
  @Column('text', { array: true, name: 'inherited_message_ids', default: () => "'{}'" })
  inheritedMessageIds: string[];
  @Column('timestamptz', { name: 'last_message_at', nullable: true }) lastMessageAt: Date | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
