import { Logger } from '@nestjs/common';
import Bull from 'bull';
import type Redis from 'ioredis';
import { createRedis } from '../common/redis';
import type { Job, JobCounts, JobHandler, JobOptions, JobQueue, QueueOptions } from './job-queue';

/**
 * The queue on Redis (Bull): jobs survive restarts and are shared by every process of the
 * deployment. A job whose worker dies (kill -9) stops having its lock renewed and is taken
 * again by a live worker after `lockMs` (at most `maxStalls` times), so handlers must be
 * idempotent: reload the row, return when it has moved on.
 */
export class BullJobQueue<T extends object = Record<string, unknown>> implements JobQueue<T> {
  private readonly logger = new Logger(BullJobQueue.name);
  private readonly queue: Bull.Queue<T>;
  private processing = false;
  /** Every connection made for Bull (it opens blocking ones per processor), closed with the queue. */
  private readonly clients: Redis[] = [];

  constructor(
    readonly name: string,
    redisUrl: string,
    prefix: string,
    options: QueueOptions = {},
  ) {
    const lockMs = options.lockMs ?? 30_000;
    // Bull wants its blocking and subscriber connections without a request retry limit.
    this.queue = new Bull<T>(name, {
      prefix: `${prefix}:bull`,
      createClient: (type) => {
        const client = createRedis(redisUrl, `queue ${name} (${type})`, {
          maxRetriesPerRequest: null,
          enableReadyCheck: false,
        });
        this.clients.push(client);
        return client;
      },
      settings: {
        lockDuration: lockMs,
        lockRenewTime: Math.max(Math.floor(lockMs / 3), 100),
        stalledInterval: Math.max(Math.floor(lockMs / 2), 500),
        maxStalledCount: options.maxStalls ?? 1,
      },
      defaultJobOptions: { removeOnComplete: true, removeOnFail: 1_000 },
    });
    this.queue.on('error', (err) => this.logger.warn(`queue ${name}: ${err.message}`));
    this.queue.on('failed', (job, err) =>
      this.logger.warn(`job ${job.name} ${String(job.id)} of ${name} failed: ${err.message}`),
    );
  }

  async add(name: string, data: T, options: JobOptions = {}): Promise<string> {
    const job = await this.queue.add(name, data, {
      jobId: options.jobId,
      delay: options.delayMs && options.delayMs > 0 ? options.delayMs : undefined,
      repeat: options.repeatEveryMs !== undefined ? { every: options.repeatEveryMs } : undefined,
      attempts: Math.max(1, options.attempts ?? 1),
      backoff: options.backoffMs ? { type: options.backoff ?? 'fixed', delay: options.backoffMs } : undefined,
    });
    return options.repeatEveryMs !== undefined && options.jobId ? options.jobId : String(job.id);
  }

  async remove(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'paused') return false;
    await job.remove();
    return true;
  }

  async removeRepeatable(name: string, jobId: string, repeatEveryMs: number): Promise<void> {
    await this.queue.removeRepeatable(name, { every: repeatEveryMs, jobId });
  }

  process(handler: JobHandler<T>, options: { concurrency?: number } = {}): void {
    if (this.processing) throw new Error(`queue ${this.name} already has a processor`);
    this.processing = true;
    void this.queue.process('*', Math.max(1, options.concurrency ?? 1), async (job: Bull.Job<T>) => {
      const next: Job<T> = {
        id: String(job.id),
        name: job.name,
        data: job.data,
        attempt: job.attemptsMade + 1,
      };
      await handler(next);
    });
  }

  async counts(): Promise<JobCounts> {
    const c = await this.queue.getJobCounts();
    return { waiting: c.waiting, active: c.active, delayed: c.delayed, failed: c.failed };
  }

  async close(): Promise<void> {
    // Bull's close stops taking jobs and waits for the active ones of this process.
    await this.queue.close();
    for (const c of this.clients) c.disconnect();
  }
}
