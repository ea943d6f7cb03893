import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AgentsService } from '../agents/agents.service';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { Job, JobQueue } from '../queue/job-queue';
import { MessagesRepository } from '../messages/messages.repository';
import { MessagesService } from '../messages/messages.service';
import { JobQueues } from '../queue/queues';
import { toRunDto } from './run.dto';
import { RunEntity } from './run.entity';
import { ACTIVE_STATUSES, RunsRepository } from './runs.repository';

interface CallbackJob {
  runId: string;
  organizationId: string;
}

/** Letta's callback timeout. */
const POST_TIMEOUT_MS = 5_000;
/** The result's messages are capped, so one huge run cannot make a huge POST. */
const MAX_RESULT_MESSAGES = 1_000;

/**
 * A send's `callback_url`: when the run ends, its result is POSTed there as Letta does —
 * `{run_id, status, completed_at, metadata}`, the LettaResponse under `metadata.result`. The POST
 * is a job on the `run-callbacks` queue (the worker takes it with REDIS_URL), so it survives the
 * request and the process that ran the run, and is retried with exponential backoff until it
 * answers 2xx or the tries run out. Each try is recorded on the run (`callback_sent_at`,
 * `callback_status_code`, `callback_error`). The job id is the run's, so ending a run twice
 * (a cancel racing the end) posts once.
 */
@Injectable()
export class RunCallbacks implements OnApplicationBootstrap {
  private readonly logger = new Logger(RunCallbacks.name);
  private readonly queue: JobQueue<CallbackJob>;

  constructor(
    private readonly queues: JobQueues,
    private readonly runs: RunsRepository,
    private readonly messages: MessagesRepository,
    private readonly rendering: MessagesService,
    private readonly agents: AgentsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.queue = queues.get<CallbackJob>('run-callbacks');
  }

  onApplicationBootstrap(): void {
    if (this.queues.takesJobs) this.queue.process((job) => this.deliver(job), { concurrency: 4 });
  }

  /** Queues the POST of a finished run's result; a run without `callback_url` is skipped. */
  async schedule(run: Pick<RunEntity, 'id' | 'organizationId' | 'callbackUrl'>): Promise<void> {
    if (!run.callbackUrl) return;
    await this.queue.add(
      'callback',
      { runId: run.id, organizationId: run.organizationId },
      {
        jobId: `callback:${run.id}`,
        attempts: this.config.runs.callbackAttempts,
        backoffMs: this.config.runs.callbackBackoffMs,
        backoff: 'exponential',
      },
    );
  }

  private async deliver(job: Job<CallbackJob>): Promise<void> {
    const { runId, organizationId } = job.data;
    const run = await this.runs.findById(organizationId, runId);
    if (!run?.callbackUrl || ACTIVE_STATUSES.includes(run.status)) return;
    if (run.callbackStatusCode !== null && run.callbackStatusCode < 300) return; // delivered already
    const payload = await this.payload(run);
    const sentAt = new Date();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(run.callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (status >= 300) error = `callback answered HTTP ${status}`;
    } catch (err) {
      error = `callback POST failed: ${(err as Error).message}`;
    }
    await this.runs.update(organizationId, runId, {
      callbackSentAt: sentAt,
      callbackStatusCode: status,
      callbackError: error,
    });
    if (error) {
      this.logger.warn(`run ${runId}: ${error} (try ${job.attempt} of ${this.config.runs.callbackAttempts})`);
      throw new Error(error); // the queue tries again after its backoff
    }
  }

  /** The run's messages as GET /v1/runs/:id/messages renders them. */
  private async resultMessages(p: { organizationId: string; userId: string }, run: RunEntity) {
    const agent = await this.agents.get(p, run.agentId);
    const stored = await this.messages.list(
      run.organizationId,
      { runId: run.id },
      { limit: MAX_RESULT_MESSAGES, order: 'asc' },
    );
    const cfg = run.requestConfig ?? {};
    return this.rendering.render(stored, agent.agentType, {
      useAssistantMessage: cfg.use_assistant_message as boolean | undefined,
      assistantMessageToolName: cfg.assistant_message_tool_name as string | undefined,
      assistantMessageToolKwarg: cfg.assistant_message_tool_kwarg as string | undefined,
    });
  }

  private async payload(run: RunEntity) {
    const p = { organizationId: run.organizationId, userId: run.createdById ?? '' };
    const messages = await this.resultMessages(p, run).catch(() => []);
    const dto = toRunDto(run);
    const produced = messages.filter((m) => (m as { message_type?: string }).message_type !== 'user_message');
    return {
      run_id: run.id,
      status: run.status,
      completed_at: dto.completed_at,
      metadata: {
        ...dto.metadata,
        result: {
          messages: produced,
          stop_reason: { message_type: 'stop_reason', stop_reason: run.stopReason ?? 'end_turn' },
          usage: { message_type: 'usage_statistics', ...(run.usage ?? {}), run_ids: [run.id] },
        },
      },
    };
  }
}
