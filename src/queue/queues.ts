import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { BullJobQueue } from './bull-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import type { JobQueue, QueueOptions } from './job-queue';

/** Which process the queues live in: it decides whether this process takes jobs by default. */
export type ProcessRole = 'api' | 'worker';
export const PROCESS_ROLE = Symbol('PROCESS_ROLE');

/**
 * Whether a process takes jobs: ENGRAM_PROCESS_JOBS when set; otherwise the worker does, and the
 * api does only without REDIS_URL (its queues are in-process, so nobody else could).
 */
export function takesJobs(config: AppConfig, role: ProcessRole): boolean {
  if (!config.redisUrl) return true;
  return config.jobs.process ?? role === 'worker';
}

/** Every named queue of this process, on Bull with REDIS_URL and in-process without. */
@Injectable()
export class JobQueues implements OnModuleDestroy {
  private readonly queues = new Map<string, JobQueue<any>>();
  /** True when this process runs jobs (see `takesJobs`); processors register only then. */
  readonly takesJobs: boolean;
  /** True on Redis (jobs outlive the process); false in-process (a restart forgets them). */
  readonly durable: boolean;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROCESS_ROLE) readonly role: ProcessRole,
  ) {
    this.takesJobs = takesJobs(config, role);
    this.durable = Boolean(config.redisUrl);
  }

  /** The queue called `name` (created on first use; later options are ignored). */
  get<T extends object>(name: string, options: QueueOptions = {}): JobQueue<T> {
    let queue = this.queues.get(name) as JobQueue<T> | undefined;
    if (!queue) {
      queue = this.config.redisUrl
        ? new BullJobQueue<T>(name, this.config.redisUrl, this.config.redisPrefix, options)
        : new InProcessJobQueue<T>(name);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Names of the queues opened in this process (for metrics). */
  names(): string[] {
    return [...this.queues.keys()];
  }

  /** At shutdown: stop taking jobs, let the ones in flight finish. */
  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
