/**
 * The job-queue port: what background work (runs, file ingestion, schedules) needs from a queue,
 * with two drivers behind it — Bull on Redis (`bull-job-queue.ts`) when REDIS_URL is set, and
 * an in-process queue (`in-process-job-queue.ts`) when it is not, so `npm start` alone still
 * does everything. Jobs carry ids, not data (STYLE.md §10): a handler reloads its row and
 * returns early when the row's status has moved on.
 */
export interface JobOptions {
  /**
   * The job's id. Adding a job whose id is already waiting, delayed or active is a no-op that
   * answers the same id, so a retried request cannot enqueue the same work twice.
   */
  jobId?: string;
  /** Run no sooner than this many milliseconds from now. */
  delayMs?: number;
  /** Run every this many milliseconds until `removeRepeatable` (the first run after one period). */
  repeatEveryMs?: number;
  /** Tries in all (default 1: no retry). */
  attempts?: number;
  /** Wait between tries. */
  backoffMs?: number;
  /** `exponential`: the wait doubles after each try (backoffMs, 2×, 4×...). Default `fixed`. */
  backoff?: 'fixed' | 'exponential';
}

export interface Job<T> {
  id: string;
  name: string;
  data: T;
  /** 1 on the first try. */
  attempt: number;
}

export type JobHandler<T> = (job: Job<T>) => Promise<void>;

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface QueueOptions {
  /**
   * Bull only: how long a job stays locked to a worker that stops renewing the lock (a crashed
   * process) before another worker takes it back as stalled. Default 30 s.
   */
  lockMs?: number;
  /**
   * Bull only: how many times a job may stall (its worker died) and be taken again before it
   * is failed with "job stalled more than allowable limit". Default 1.
   */
  maxStalls?: number;
}

export interface JobQueue<T extends object = Record<string, unknown>> {
  readonly name: string;
  /** Adds a job and answers its id (the given `jobId`, or a generated one). */
  add(name: string, data: T, options?: JobOptions): Promise<string>;
  /** Removes a waiting or delayed job; false when it is unknown, active or done. */
  remove(jobId: string): Promise<boolean>;
  /** Stops a repeatable job added with the same name, `jobId` and `repeatEveryMs`. */
  removeRepeatable(name: string, jobId: string, repeatEveryMs: number): Promise<void>;
  /**
   * Takes jobs in this process, up to `concurrency` at a time. Called at most once per queue;
   * a process that should not take jobs (ENGRAM_PROCESS_JOBS=false) never calls it.
   */
  process(handler: JobHandler<T>, options?: { concurrency?: number }): void;
  counts(): Promise<JobCounts>;
  /** Stops taking jobs and waits for the ones in flight to finish. */
  close(): Promise<void>;
}
