import { Injectable, Logger } from '@nestjs/common';
import { toLettaMessageList } from '@engram/agent-runtime';
import { AgentsService } from '../agents/agents.service';
import { Principal } from '../common/auth/principal';
import { typeFilter } from '../messages/wire';
import { RunEventBus } from '../streaming/run-event-bus';
import { AgentRunner } from './agent-runner.service';
import { RunQueue } from './run-queue';
import { RunRequest } from './run-request';
import { toRunDto } from './run.dto';

/** One chunk of a run's stream as clients see it: the Letta message plus its `seq_id`. */
export type StreamChunk = Record<string, unknown> & { seq_id: number };

export interface RunStream {
  runId: string;
  chunks: AsyncIterable<StreamChunk>;
  /** The client went away: a foreground run is cancelled (a background run goes on). */
  abandon(): void;
}

/**
 * Sending messages. Where a run executes (see README "How runs execute"): sync sends and
 * foreground streams in this process, for latency; async sends and background streams always
 * as jobs on the `runs` queue (a worker, or this process without REDIS_URL). Streams are async
 * iterables of events from the run event bus, written by the controller.
 */
@Injectable()
export class SendService {
  private readonly logger = new Logger(SendService.name);

  constructor(
    private readonly agents: AgentsService,
    private readonly runner: AgentRunner,
    private readonly queue: RunQueue,
    private readonly events: RunEventBus,
  ) {}

  /** POST /messages: runs to a stop and answers with Letta's LettaResponse. */
  async send(p: Principal, agentId: string, req: RunRequest) {
    const { run, result, wire } = await this.runner.send(p, agentId, req);
    const keep = typeFilter(req.includeReturnMessageTypes);
    const produced = result.messages.filter((m) => m.role !== 'user' && m.role !== 'system');
    const opts = req.includeCompactionMessages ? { ...wire, summaryAsSummaryMessage: true } : wire;
    return {
      messages: toLettaMessageList(produced, opts).filter(keep),
      stop_reason: { message_type: 'stop_reason', stop_reason: result.stopReason },
      usage: { ...result.usage, run_ids: [run.id] },
      ...(req.logprobs ? { logprobs: result.logprobs ?? null } : {}),
    };
  }

  /**
   * POST /messages/stream (or /messages with streaming): the run's events as they happen. A
   * background run is queued and followed through the bus, resumable with /v1/runs/:id/stream.
   */
  async stream(p: Principal, agentId: string, req: RunRequest): Promise<RunStream> {
    const background = Boolean(req.background);
    const run = await this.runner.createRun(p, agentId, req, background);
    const keep = typeFilter(req.includeReturnMessageTypes);
    // A foreground run executes here: its stream is delivered from this process's memory.
    if (!background) this.events.open(run.id);
    const chunks = withSeq(this.events.follow(run.id, 0), keep);
    if (background) await this.queue.enqueue(run);
    else
      this.runner.execute(p, run, req).catch((err: Error) => {
        // The runner put the error on the stream already; only a failure before that is logged.
        this.logger.warn(`run ${run.id}: ${err.message}`);
      });
    return {
      runId: run.id,
      chunks,
      abandon: () => {
        if (!background) void this.runner.cancel(p, agentId, [run.id]).catch(() => undefined);
      },
    };
  }

  /** POST /messages/async: the run is created now and queued. */
  async sendAsync(p: Principal, agentId: string, req: RunRequest) {
    const run = await this.runner.createRun(p, agentId, req, true);
    await this.queue.enqueue(run);
    return toRunDto(run);
  }

  async cancel(p: Principal, agentId: string, runIds?: string[] | null) {
    await this.agents.assertExists(p, agentId);
    const cancelled = await this.runner.cancel(p, agentId, runIds ?? undefined);
    return Object.fromEntries(cancelled.map((id) => [id, 'cancelled']));
  }
}

/** The bus's events as stream chunks: each carries its run-wide `seq_id`, filtered by type. */
export async function* withSeq(
  events: AsyncIterable<{ seq: number; data: Record<string, unknown> }>,
  keep: (chunk: unknown) => boolean,
): AsyncIterable<StreamChunk> {
  for await (const e of events) if (keep(e.data)) yield { ...e.data, seq_id: e.seq };
}
