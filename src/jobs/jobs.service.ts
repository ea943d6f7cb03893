import { Injectable } from '@nestjs/common';
import { Principal } from '../common/auth/principal';
import { ConflictError, NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { JobEntity, JobProgress, TERMINAL_JOB_STATUSES } from './job.entity';
import { JobFilter, JobsRepository } from './jobs.repository';

/** Called when a job of a kind is cancelled or deleted, so its owner can stop and tidy up. */
export type JobCancelHook = (organizationId: string, job: JobEntity) => Promise<void>;

/**
 * Job records for background work. The work itself runs on a queue; the record is what a
 * client polls (`/v1/jobs`) and what the worker checks to know that a job was cancelled.
 */
@Injectable()
export class JobsService {
  private readonly cancelHooks = new Map<string, JobCancelHook>();

  constructor(private readonly jobs: JobsRepository) {}

  /** `kind` is the job's `metadata.type` (e.g. `embedding` for file ingestion). */
  onCancel(kind: string, hook: JobCancelHook): void {
    this.cancelHooks.set(kind, hook);
  }

  async create(
    organizationId: string,
    userId: string | null,
    metadata: Record<string, unknown>,
  ): Promise<JobEntity> {
    const id = newId('job');
    await this.jobs.insert({
      id,
      organizationId,
      userId,
      status: 'created',
      jobType: 'job',
      metadata,
      progress: null,
      attempts: 0,
    });
    return (await this.jobs.findById(organizationId, id))!;
  }

  async get(p: Principal, id: string): Promise<JobEntity> {
    const job = await this.jobs.findById(p.organizationId, id);
    if (!job) throw new NotFoundError('Job', id);
    return job;
  }

  find(organizationId: string, id: string): Promise<JobEntity | null> {
    return this.jobs.findById(organizationId, id);
  }

  list(p: Principal, filter: JobFilter, page: PageRequest): Promise<JobEntity[]> {
    return this.jobs.list(p.organizationId, filter, page);
  }

  /**
   * A job that has ended cannot be cancelled: 409 `job_ended`, naming the status it ended in.
   * (Letta answers `false` there, which its own Job response model refuses: the client gets a
   * 500; a 409 with a detail says what happened.)
   */
  async cancel(p: Principal, id: string): Promise<JobEntity> {
    const job = await this.get(p, id);
    const moved = await this.jobs.updateIfActive(p.organizationId, id, {
      status: 'cancelled',
      stopReason: 'cancelled',
      completedAt: new Date(),
    });
    if (!moved) {
      // Read again: it may have ended between the read above and the update.
      const ended = (await this.jobs.findById(p.organizationId, id)) ?? job;
      throw new ConflictError(
        `Job '${id}' has already ended (${ended.status}); only a created, pending or running job can be cancelled`,
        'job_ended',
      );
    }
    await this.runCancelHook(p.organizationId, job);
    return this.get(p, id);
  }

  /** Deleting a job that is still running cancels its work first. */
  async delete(p: Principal, id: string): Promise<JobEntity> {
    const job = await this.get(p, id);
    if (!TERMINAL_JOB_STATUSES.includes(job.status)) await this.runCancelHook(p.organizationId, job);
    await this.jobs.deleteById(p.organizationId, id);
    return job;
  }

  /** The worker takes a job: null when it was cancelled, deleted or has already ended. */
  startAttempt(organizationId: string, id: string): Promise<JobEntity | null> {
    return this.jobs.startAttempt(organizationId, id);
  }

  async progress(organizationId: string, id: string, progress: JobProgress): Promise<void> {
    await this.jobs.updateIfActive(organizationId, id, { progress });
  }

  async complete(organizationId: string, id: string): Promise<void> {
    await this.jobs.updateIfActive(organizationId, id, {
      status: 'completed',
      stopReason: 'end_turn',
      completedAt: new Date(),
    });
  }

  async fail(organizationId: string, id: string, message: string): Promise<void> {
    const job = await this.jobs.findById(organizationId, id);
    await this.jobs.updateIfActive(organizationId, id, {
      status: 'failed',
      stopReason: 'error',
      completedAt: new Date(),
      metadata: { ...(job?.metadata ?? {}), error: message },
    });
  }

  /** Jobs of a kind not yet ended, of every organization (boot-time recovery only). */
  unfinished(kind: string): Promise<JobEntity[]> {
    return this.jobs.unfinishedEverywhere(kind);
  }

  /** Whether the job is still wanted (not cancelled or deleted): the worker asks between batches. */
  async isActive(organizationId: string, id: string): Promise<boolean> {
    const job = await this.jobs.findById(organizationId, id);
    return !!job && !TERMINAL_JOB_STATUSES.includes(job.status);
  }

  private async runCancelHook(organizationId: string, job: JobEntity): Promise<void> {
    const kind = job.metadata?.type;
    const hook = typeof kind === 'string' ? this.cancelHooks.get(kind) : undefined;
    await hook?.(organizationId, job);
  }
}
