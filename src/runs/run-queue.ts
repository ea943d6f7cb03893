import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../observability/metrics.service';
import type { Job, JobQueue } from '../queue/job-queue';
import { JobQueues } from '../queue/queues';
import { AgentRunner } from './agent-runner.service';
import type { RunRequest } from './run-request';
import { RunEntity } from './run.entity';
import { RunsRepository } from './runs.repository';

export interface RunJob {
  runId: string;
  organizationId: string;
}

/**
 * The `runs` queue: async sends and background streams are jobs on it (job id = run id, so a
 * run is queued once). The worker takes them; without REDIS_URL the api does (see `takesJobs`).
 * A job carries ids only: the handler reloads the run and returns if it is no longer `created`
 * — cancelled while queued, or already taken by a worker that died (the lease sweeper fails
 * that one with `process_lost`, so a run is never executed twice and no step is repeated).
 */
@Injectable()
export class RunQueue implements OnApplicationBootstrap {
  private readonly logger = new Logger(RunQueue.name);
  private readonly queue: JobQueue<RunJob>;

  constructor(
    private readonly queues: JobQueues,
    private readonly runner: AgentRunner,
    private readonly runs: RunsRepository,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.queue = queues.get<RunJob>('runs', { lockMs: config.runs.leaseMs });
  }

  onApplicationBootstrap(): void {
    this.metrics.registerQueue('runs', () => this.queue.counts());
    if (this.queues.takesJobs)
      this.queue.process((job) => this.handle(job), { concurrency: this.config.runs.concurrency });
  }

  async enqueue(run: RunEntity): Promise<void> {
    await this.queue.add('run', { runId: run.id, organizationId: run.organizationId }, { jobId: run.id });
  }

  private async handle(job: Job<RunJob>): Promise<void> {
    const started = process.hrtime.bigint();
    const { runId, organizationId } = job.data;
    const run = await this.runs.findById(organizationId, runId);
    if (!run || run.status !== 'created') {
      return;
    }
    const principal = { organizationId, userId: run.createdById ?? '' };
    try {
      await this.runner.execute(principal, run, (run.request ?? { input: [] }) as unknown as RunRequest);
      this.metrics.jobFinished('runs', 'completed', Number(process.hrtime.bigint() - started) / 1e9);
    } catch (err) {
      // The run is already final (failed) and its stream says why; the job is not retried.
      this.logger.warn(`run ${runId}: ${(err as Error).message}`);
      this.metrics.jobFinished('runs', 'failed', Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}
