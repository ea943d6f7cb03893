import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { IngestionScheduler } from '../files.service';
import { IngestionService, TransientIngestionError } from './ingestion.service';

/** Attempts of a job whose failure may pass (provider outage), with exponential backoff. */
export const INGEST_ATTEMPTS = 4;
export const INGEST_BACKOFF_MS = 500;

/**
 * Runs ingestion jobs in this process, one at a time, in the order they were scheduled: the
 * embedded mode's queue (no Redis). Transient failures are retried with backoff.
 */
@Injectable()
export class InProcessIngestionScheduler extends IngestionScheduler implements OnApplicationShutdown {
  private readonly logger = new Logger(InProcessIngestionScheduler.name);
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly ingestion: IngestionService) {
    super();
  }

  schedule(organizationId: string, jobId: string, fileId: string): Promise<void> {
    this.chain = this.chain.then(() => this.attempt(organizationId, jobId, fileId));
    return Promise.resolve();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.chain;
  }

  private async attempt(organizationId: string, jobId: string, fileId: string): Promise<void> {
    for (let attempt = 1; attempt <= INGEST_ATTEMPTS && !this.closed; attempt++) {
      try {
        await this.ingestion.run(organizationId, jobId, fileId);
        return;
      } catch (e) {
        const transient = e instanceof TransientIngestionError;
        if (!transient || attempt === INGEST_ATTEMPTS) {
          const message = transient ? (e as Error).message : 'Ingestion failed';
          if (!transient) this.logger.error({ err: e, jobId, fileId }, 'file ingestion failed');
          await this.ingestion.giveUp(organizationId, jobId, fileId, message).catch(() => undefined);
          return;
        }
        await new Promise((r) => setTimeout(r, INGEST_BACKOFF_MS * 2 ** (attempt - 1)));
      }
    }
  }
}
