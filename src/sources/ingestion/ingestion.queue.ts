import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
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
export class QueueIngestionScheduler extends IngestionScheduler implements OnModuleInit {
  private readonly logger = new Logger(QueueIngestionScheduler.name);
  private readonly queue: JobQueue<IngestJob>;

  constructor(
    private readonly queues: JobQueues,
    private readonly ingestion: IngestionService,
  ) {
    super();
    this.queue = queues.get<IngestJob>(INGESTION_QUEUE);
  }

  onModuleInit(): void {
    if (!this.queues.takesJobs) return;
    this.queue.process((job) => this.handle(job.data, job.attempt));
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
