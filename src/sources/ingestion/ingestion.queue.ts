import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { JobsService } from '../../jobs/jobs.service';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { JobQueue, JobQueues } from '../../queue';
import { IngestionScheduler } from '../files.service';
import { IngestionService, TransientIngestionError } from './ingestion.service';

/** What an ingestion job carries: ids only (the handler reloads the rows). */
export interface IngestJob {
  organizationId: string;
  jobId: string;
  fileId: string;
}

export const INGESTION_QUEUE = 'ingestion';
/** The `metadata.type` of an ingestion's job record (Letta's name for it). */
export const INGESTION_JOB_KIND = 'embedding';
/** Tries of a job whose failure may pass (provider outage, lost connection), and the wait between. */
export const INGEST_ATTEMPTS = 4;
export const INGEST_BACKOFF_MS = 1_000;

/**
 * File ingestion on the job queue: Bull on Redis (taken by the worker, or any process with
 * ENGRAM_PROCESS_JOBS=true) or in-process without REDIS_URL. The queue job's id is the job
 * record's, so scheduling twice runs once; a job whose worker died is taken again, and the
 * handler's idempotence (see IngestionService) keeps the file's passages single.
 */
@Injectable()
export class QueueIngestionScheduler
  extends IngestionScheduler
  implements OnModuleInit, OnApplicationBootstrap
{
  private readonly logger = new Logger(QueueIngestionScheduler.name);
  private readonly queue: JobQueue<IngestJob>;

  constructor(
    private readonly queues: JobQueues,
    private readonly ingestion: IngestionService,
    private readonly jobs: JobsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super();
    this.queue = queues.get<IngestJob>(INGESTION_QUEUE, { lockMs: config.jobs.ingestLockMs });
  }

  onModuleInit(): void {
    if (!this.queues.takesJobs) return;
    this.queue.process((job) => this.handle(job.data, job.attempt));
  }

  /**
   * Without Redis the queue lives in this process's memory, so a crash (or a stop) forgets the
   * ingestions it left created, pending, parsing or embedding: at boot they are queued again.
   * Scheduling keeps the job record's id, and the handler starts an interrupted file from a
   * clean slate, so a file taken back this way still ends with one set of passages. (On Bull
   * the jobs survive in Redis, and one whose worker died is taken back as stalled.)
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.queues.takesJobs || this.queues.durable) return;
    let queued = 0;
    for (const job of await this.jobs.unfinished(INGESTION_JOB_KIND)) {
      const fileId = job.metadata?.file_id;
      if (typeof fileId !== 'string') continue;
      await this.schedule(job.organizationId, job.id, fileId);
      queued++;
    }
    if (queued) this.logger.log(`queued again ${queued} unfinished file ingestion(s)`);
  }

  async schedule(organizationId: string, jobId: string, fileId: string): Promise<void> {
    await this.queue.add(
      'ingest',
      { organizationId, jobId, fileId },
      { jobId, attempts: INGEST_ATTEMPTS, backoffMs: INGEST_BACKOFF_MS },
    );
  }

  /** Takes a job off the queue before a worker starts it (cancel); false once it runs. */
  unschedule(jobId: string): Promise<boolean> {
    return this.queue.remove(jobId);
  }

  private async handle(data: IngestJob, attempt: number): Promise<void> {
    const { organizationId, jobId, fileId } = data;
    try {
      await this.ingestion.run(organizationId, jobId, fileId);
    } catch (e) {
      const transient = e instanceof TransientIngestionError;
      if (transient && attempt < INGEST_ATTEMPTS) throw e; // the queue tries again after the backoff
      if (!transient) this.logger.error({ err: e, jobId, fileId }, 'file ingestion failed');
      await this.ingestion.giveUp(
        organizationId,
        jobId,
        fileId,
        transient ? (e as Error).message : 'Ingestion failed',
      );
    }
  }
}
