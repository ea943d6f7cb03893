import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Job, JobCounts, JobHandler, JobOptions, JobQueue } from './job-queue';

/** The longest delay one Node timer holds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Pending<T> {
  job: Job<T>;
  attempts: number;
  backoffMs: number;
  exponential?: boolean;
}

/**
 * The queue without Redis: jobs wait in this process's memory and run in it. They do not
 * survive a restart — runs left `running` by a crash are failed by the lease sweeper instead, and
 * unfinished file ingestions and pending scheduled messages are queued again at boot from their rows.
 */
export class InProcessJobQueue<T extends object = Record<string, unknown>> implements JobQueue<T> {
  private readonly logger = new Logger(InProcessJobQueue.name);
  private readonly waiting: Pending<T>[] = [];
  /** Ids of jobs waiting, delayed or active, for de-duplication. */
  private readonly known = new Map<string, 'waiting' | 'delayed' | 'active'>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly repeats = new Map<string, NodeJS.Timeout>();
  private handler?: JobHandler<T>;
  private concurrency = 1;
  private active = 0;
  private failed = 0;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(readonly name: string) {}

  add(name: string, data: T, options: JobOptions = {}): Promise<string> {
    if (this.closed) return Promise.reject(new Error(`queue ${this.name} is closed`));
    const id = options.jobId ?? randomUUID();
    const attempts = Math.max(1, options.attempts ?? 1);
    const backoffMs = options.backoffMs ?? 0;
    if (options.repeatEveryMs !== undefined) {
      const key = repeatKey(name, id, options.repeatEveryMs);
      if (!this.repeats.has(key)) {
        const timer = setInterval(() => {
          const runId = `repeat:${key}:${Date.now()}`;
          this.enqueue({ job: { id: runId, name, data, attempt: 1 }, attempts, backoffMs });
        }, options.repeatEveryMs);
        timer.unref();
        this.repeats.set(key, timer);
      }
      return Promise.resolve(id);
    }
    if (this.known.has(id)) return Promise.resolve(id);
    const pending = {
      job: { id, name, data, attempt: 1 },
      attempts,
      backoffMs,
      exponential: options.backoff === 'exponential',
    };
    if (options.delayMs && options.delayMs > 0) this.delay(pending, options.delayMs);
    else this.enqueue(pending);
    return Promise.resolve(id);
  }

  remove(jobId: string): Promise<boolean> {
    const state = this.known.get(jobId);
    if (state === 'delayed') {
      clearTimeout(this.delayed.get(jobId));
      this.delayed.delete(jobId);
      this.known.delete(jobId);
      return Promise.resolve(true);
    }
    if (state === 'waiting') {
      const at = this.waiting.findIndex((p) => p.job.id === jobId);
      if (at >= 0) this.waiting.splice(at, 1);
      this.known.delete(jobId);
      return Promise.resolve(true);
    }
    return Promise.resolve(false);
  }

  removeRepeatable(name: string, jobId: string, repeatEveryMs: number): Promise<void> {
    const key = repeatKey(name, jobId, repeatEveryMs);
    clearInterval(this.repeats.get(key));
    this.repeats.delete(key);
    return Promise.resolve();
  }

  process(handler: JobHandler<T>, options: { concurrency?: number } = {}): void {
    if (this.handler) throw new Error(`queue ${this.name} already has a processor`);
    this.handler = handler;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.pump();
  }

  counts(): Promise<JobCounts> {
    return Promise.resolve({
      waiting: this.waiting.length,
      active: this.active,
      delayed: this.delayed.size,
      failed: this.failed,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.delayed.values()) clearTimeout(t);
    for (const t of this.repeats.values()) clearInterval(t);
    this.delayed.clear();
    this.repeats.clear();
    if (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private enqueue(pending: Pending<T>): void {
    if (this.closed) return;
    this.known.set(pending.job.id, 'waiting');
    this.waiting.push(pending);
    this.pump();
  }

  private delay(pending: Pending<T>, ms: number): void {
    const id = pending.job.id;
    this.known.set(id, 'delayed');
    // Node fires a timer of more than 2^31 - 1 ms (24.8 days) at once, so a longer delay is
    // waited out in steps.
    const step = Math.min(ms, MAX_TIMER_MS);
    const timer = setTimeout(() => {
      if (ms > step) return this.delay(pending, ms - step);
      this.delayed.delete(id);
      this.enqueue(pending);
    }, step);
    timer.unref();
    this.delayed.set(id, timer);
  }

  private pump(): void {
    while (this.handler && !this.closed && this.active < this.concurrency && this.waiting.length) {
      void this.run(this.waiting.shift()!);
    }
  }

  private async run(pending: Pending<T>): Promise<void> {
    const { job } = pending;
    this.active++;
    this.known.set(job.id, 'active');
    let retrying = false;
    try {
      await this.handler!({ ...job });
    } catch (err) {
      if (job.attempt < pending.attempts && !this.closed) {
        retrying = true;
        const next = { ...pending, job: { ...job, attempt: job.attempt + 1 } };
        // Bull's exponential backoff: delay × 2^(tries made - 1).
        const wait = pending.exponential ? pending.backoffMs * 2 ** (job.attempt - 1) : pending.backoffMs;
        if (wait > 0) this.delay(next, wait);
        else setImmediate(() => this.enqueue(next));
      } else {
        this.failed++;
        this.logger.warn(`job ${job.name} ${job.id} of ${this.name} failed: ${(err as Error).message}`);
      }
    } finally {
      this.active--;
      if (!retrying) this.known.delete(job.id);
      if (this.active === 0) for (const resolve of this.idle.splice(0)) resolve();
      this.pump();
    }
  }
}

function repeatKey(name: string, jobId: string, everyMs: number): string {
  return `${name}:${jobId}:${everyMs}`;
}
