import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** What a firing sends: the part of Letta's request a scheduled message keeps. */
export interface ScheduledRequest {
  messages: Record<string, unknown>[];
  max_steps?: number;
  include_return_message_types?: string[];
}

export type ScheduleType = 'one-time' | 'recurring';

@Entity('scheduled_messages')
export class ScheduledMessageEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'agent_id' }) agentId: string;
  /** The user the runs act as: whoever scheduled the message. */
  @Column('text', { name: 'created_by_id' }) createdById: string;
  @Column('jsonb') request: ScheduledRequest;
  @Column('text', { name: 'schedule_type' }) scheduleType: ScheduleType;
  @Column('timestamptz', { name: 'scheduled_at', nullable: true }) scheduledAt: Date | null;
  @Column('text', { name: 'cron_expression', nullable: true }) cronExpression: string | null;
  /** The next firing; null once a one-time message has fired. */
  @Column('timestamptz', { name: 'next_scheduled_at', nullable: true }) nextScheduledAt: Date | null;
  @Column('timestamptz', { name: 'last_fired_at', nullable: true }) lastFiredAt: Date | null;
  @Column('text', { name: 'last_run_id', nullable: true }) lastRunId: string | null;
  @Column('integer', { name: 'fire_count', default: 0 }) fireCount: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

/** Letta's ScheduledMessage. */
export function toScheduledMessageDto(s: ScheduledMessageEntity) {
  return {
    id: s.id,
    agent_id: s.agentId,
    message: s.request,
    next_scheduled_time: s.nextScheduledAt?.toISOString() ?? null,
    schedule:
      s.scheduleType === 'recurring'
        ? { type: 'recurring' as const, cron_expression: s.cronExpression! }
        : { type: 'one-time' as const, scheduled_at: s.scheduledAt!.getTime() },
    last_fired_at: s.lastFiredAt?.toISOString() ?? null,
    last_run_id: s.lastRunId,
    created_at: s.createdAt.toISOString(),
  };
}
