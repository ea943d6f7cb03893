import { Injectable } from '@nestjs/common';
import { AgentsService } from '../agents/agents.service';
import { Principal } from '../common/auth/principal';
import { NotFoundError } from '../common/errors';
import { PageRequest } from '../common/pagination';
import { MessagePage, MessagesRepository } from '../messages/messages.repository';
import { MessagesService } from '../messages/messages.service';
import { typeFilter } from '../messages/wire';
import { RunEventBus } from '../streaming/run-event-bus';
import { ACTIVE_STATUSES } from './runs.repository';
import { StreamChunk, withSeq } from './send.service';
import { RunEntity } from './run.entity';
import { RunFilter, RunsRepository, StepFilter } from './runs.repository';
import { ProviderTracesRepository } from './provider-traces.repository';
import { toProviderTraceDto } from './run.dto';
import { runTraceSpans } from './run-trace';

/** Reads over runs and steps, and resumable run streams. */
@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly messages: MessagesRepository,
    private readonly rendering: MessagesService,
    private readonly agents: AgentsService,
    private readonly events: RunEventBus,
    private readonly traces: ProviderTracesRepository,
  ) {}

  async get(p: Principal, id: string): Promise<RunEntity> {
    const run = await this.runs.findById(p.organizationId, id);
    if (!run) throw new NotFoundError('Run', id);
    return run;
  }

  list(p: Principal, f: RunFilter, page: PageRequest) {
    return this.runs.list(p.organizationId, f, page);
  }

  async messagesOf(p: Principal, runId: string, page: MessagePage) {
    const run = await this.get(p, runId);
    const agent = await this.agents.get(p, run.agentId);
    const msgs = await this.messages.list(p.organizationId, { runId }, page);
    const cfg = run.requestConfig ?? {};
    return this.rendering.render(msgs, agent.agentType, {
      useAssistantMessage: cfg.use_assistant_message as boolean | undefined,
      assistantMessageToolName: cfg.assistant_message_tool_name as string | undefined,
      assistantMessageToolKwarg: cfg.assistant_message_tool_kwarg as string | undefined,
    });
  }

  async usage(p: Principal, runId: string) {
    await this.get(p, runId);
    const u = await this.runs.usageOf(p.organizationId, runId);
    return {
      completion_tokens: u.completionTokens,
      prompt_tokens: u.promptTokens,
      total_tokens: u.totalTokens,
      prompt_tokens_details: { cached_tokens: u.cachedTokens },
      completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
    };
  }

  async steps(p: Principal, f: StepFilter, page: PageRequest) {
    if (f.runId) await this.get(p, f.runId);
    return this.runs.listSteps(p.organizationId, f, page);
  }

  async step(p: Principal, id: string) {
    const step = await this.runs.findStep(p.organizationId, id);
    if (!step) throw new NotFoundError('Step', id);
    return step;
  }

  async stepMessages(p: Principal, stepId: string, page: MessagePage) {
    const step = await this.step(p, stepId);
    const agent = await this.agents.get(p, step.agentId);
    const msgs = await this.messages.list(p.organizationId, { stepId }, page);
    return this.rendering.render(msgs, agent.agentType, {});
  }

  /** The step's provider trace (its LLM request and response), or null when none was stored. */
  async stepTrace(p: Principal, stepId: string) {
    const step = await this.step(p, stepId);
    const trace = await this.traces.findByStep(p.organizationId, stepId);
    return trace ? toProviderTraceDto(trace, step) : null;
  }

  /** The run's spans (see runTraceSpans), rebuilt from its row and its steps. */
  async runTrace(p: Principal, runId: string, limit: number) {
    const run = await this.get(p, runId);
    const steps = await this.runs.listSteps(p.organizationId, { runId }, { limit, order: 'asc' });
    return runTraceSpans(run, steps, limit);
  }

  async feedback(p: Principal, stepId: string, feedback: string | null, tags?: string[]) {
    await this.step(p, stepId);
    await this.runs.setFeedback(p.organizationId, stepId, feedback, tags);
    return this.step(p, stepId);
  }

  /**
   * Replays a run's stream after `startingAfter` and follows it live, from the event bus
   * (whichever process executes it). When the bus no longer holds a finished run's log (past
   * its retention, or an in-process log lost in a restart), the stream is rebuilt from the
   * run's stored messages and final state.
   */
  async stream(
    p: Principal,
    runId: string,
    startingAfter: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<StreamChunk>> {
    const run = await this.get(p, runId);
    const keep = typeFilter((run.requestConfig?.include_return_message_types as string[] | null) ?? null);
    if (ACTIVE_STATUSES.includes(run.status) || (await this.events.hasLog(runId)))
      return withSeq(this.events.follow(runId, startingAfter, signal), keep);
    const messages = await this.messagesOf(p, runId, { limit: 10_000, order: 'asc' });
    const chunks: Record<string, unknown>[] = [...(messages as unknown as Record<string, unknown>[])];
    if (run.stopReason) chunks.push({ message_type: 'stop_reason', stop_reason: run.stopReason });
    if (run.usage) chunks.push(run.usage);
    return (async function* () {
      for (const [i, c] of chunks.entries())
        if (i + 1 > startingAfter && keep(c)) yield { ...c, seq_id: i + 1 };
    })();
  }
}
