import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const JOB_STATUSES = ['created', 'pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** Progress of a job, e.g. an ingestion's chunks embedded out of the file's total. */
export interface JobProgress {
  stage?: string;
  done?: number;
  total?: number;
}

/** A record of background work (Letta's Job): today, ingesting an uploaded file. */
@Entity('jobs')
export class JobEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'user_id', nullable: true }) userId: string | null;
  @Column('text') status: JobStatus;
  @Column('text', { name: 'job_type' }) jobType: string;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('jsonb', { nullable: true }) progress: JobProgress | null;
  @Column('integer') attempts: number;
  @Column('text', { name: 'stop_reason', nullable: true }) stopReason: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt: Date | null;
}

/** Letta's Job. */
export function toJobDto(j: JobEntity) {
  return {
    id: j.id,
    status: j.status,
    job_type: j.jobType,
    metadata: { ...(j.metadata ?? {}), ...(j.progress ? { progress: j.progress } : {}) },
    progress: j.progress,
    user_id: j.userId,
    stop_reason: j.stopReason,
    background: null,
    agent_id: null,
    callback_url: null,
    callback_sent_at: null,
    callback_status_code: null,
    callback_error: null,
    ttft_ns: null,
    total_duration_ns: null,
    created_at: j.createdAt.toISOString(),
    updated_at: j.updatedAt.toISOString(),
    completed_at: j.completedAt?.toISOString() ?? null,
  };
}
