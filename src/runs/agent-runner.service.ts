import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import {
  AgentConfig,
  AgentMessage,
  AgentStateConflictError,
  BASE_TOOL_NAMES,
  LettaMessageOptions,
  MemoryBlock,
  MemoryEditError,
  RunAgentResult,
  runAgent,
  ToolRule,
  ToolSpec,
} from '@engram/agent-runtime';
import type { ResolvedModel } from '@engram/llm';
import { AgentEntity } from '../agents/agent.entity';
import { AgentsService } from '../agents/agents.service';
import { ArchivalMemoryService, RecallSearchService } from '../archival';
import { Principal } from '../common/auth/principal';
import { ConflictError, DomainError, InvalidInputError, NotFoundError } from '../common/errors';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { newId } from '../common/ids';
import { BlocksService } from '../memory/blocks.service';
import { ConversationEntity } from '../messages/conversation.entity';
import { ConversationsRepository } from '../messages/conversations.repository';
import { MessagesRepository } from '../messages/messages.repository';
import { ModelsService } from '../models/models.service';
import { RunEventBus } from '../streaming/run-event-bus';
import { MetricsService } from '../observability/metrics.service';
import { modelHandle, systemMessage, wireOptions } from '../messages/wire';
import { ToolExecutors } from '../tools/tool-executors';
import { ToolEntity } from '../tools/tool.entity';
import { AgentLocks } from './agent-locks';
import { ProviderTracesRepository } from './provider-traces.repository';
import { RunCallbacks } from './run-callbacks';
import { RunEntity, RunStatus } from './run.entity';
import { asStored } from './context-cache';
import { PromptInputs, RunContextRepository } from './run-context.repository';
import { RunRequest } from './run-request';
import { RunsRepository } from './runs.repository';

export interface RunOutcome {
  run: RunEntity;
  result: RunAgentResult;
  wire: LettaMessageOptions;
}

/**
 * Executes agent runs: one at a time per agent, each step persisted in one transaction by the
 * message store, every event published on the run's channel. The loop itself lives in
 * @engram/agent-runtime; this class only builds its ports from the Nest services.
 */
@Injectable()
export class AgentRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AgentRunner.name);
  /** Runs executing in this process, for cancel and lease renewal. */
  private readonly active = new Map<string, AbortController>();
  private renewTimer?: NodeJS.Timeout;

  constructor(
    private readonly agents: AgentsService,
    private readonly blocks: BlocksService,
    private readonly messages: MessagesRepository,
    private readonly conversations: ConversationsRepository,
    private readonly runs: RunsRepository,
    private readonly context: RunContextRepository,
    private readonly executors: ToolExecutors,
    private readonly models: ModelsService,
    private readonly archival: ArchivalMemoryService,
    private readonly recall: RecallSearchService,
    private readonly events: RunEventBus,
    private readonly locks: AgentLocks,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly callbacks: RunCallbacks,
    private readonly traces: ProviderTracesRepository,
  ) {
    // A cancel from any process reaches the one executing the run.
    events.onCancel((runId) => this.active.get(runId)?.abort());
  }

  /** Orphaned runs (lapsed leases) are failed by the LeaseSweeper; this renews our own. */
  onApplicationBootstrap(): void {
    const leaseMs = this.config.runs.leaseMs;
    this.renewTimer = setInterval(() => {
      void this.runs
        .renewLease([...this.active.keys()], new Date(Date.now() + leaseMs))
        .catch((err) => this.logger.warn(`lease renewal failed: ${(err as Error).message}`));
    }, leaseMs / 3);
    this.renewTimer.unref();
  }

  /**
   * After the queues have drained (their onModuleDestroy waits for the jobs in flight), what is
   * still running here is cut: it ends `cancelled`, its committed steps kept.
   */
  beforeApplicationShutdown(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.cutAll();
  }

  /**
   * Stops every run executing here at its next check (the grace period of a shutdown is
   * running out): each ends `cancelled` with its committed steps kept. Returns how many.
   */
  cutAll(): number {
    for (const c of this.active.values()) c.abort();
    return this.active.size;
  }

  /** Creates the run row after checking the agent exists and its provider is configured. */
  async createRun(p: Principal, agentId: string, req: RunRequest, background: boolean): Promise<RunEntity> {
    const agent = await this.agents.model(p, agentId);
    const conversation = req.conversationId ? await this.conversation(p, agentId, req.conversationId) : null;
    this.checkModel(conversation?.model ?? modelHandle(agent), req);
    return this.runs.insert(this.newRun(p, agentId, req, background, conversation?.id ?? null));
  }

  /**
   * A sync send, to a stop. When no run holds the agent's thread in this process, nothing makes
   * it wait, so its run is created by the statement that starts it and reads its context (two
   * round trips fewer); in a conversation, or behind another run, it is created first, as
   * `createRun` does, so that it can be listed and cancelled while it waits.
   */
  async send(p: Principal, agentId: string, req: RunRequest): Promise<RunOutcome> {
    if (req.conversationId || !this.locks.isFree(agentId))
      return this.execute(p, await this.createRun(p, agentId, req, false), req);
    const run = this.newRun(p, agentId, req, false, null) as RunEntity;
    return this.execute(p, run, req, true);
  }

  /** The row of a new run (status `created`). */
  private newRun(
    p: Principal,
    agentId: string,
    req: RunRequest,
    background: boolean,
    conversationId: string | null,
  ): Partial<RunEntity> {
    return {
      id: req.runId ?? newId('run'),
      organizationId: p.organizationId,
      agentId,
      conversationId,
      status: 'created',
      background,
      request: background ? (req as unknown as Record<string, unknown>) : null,
      requestConfig: {
        use_assistant_message: req.useAssistantMessage ?? true,
        assistant_message_tool_name: req.assistantMessageToolName ?? 'send_message',
        assistant_message_tool_kwarg: req.assistantMessageToolKwarg ?? 'message',
        include_return_message_types: req.includeReturnMessageTypes ?? null,
      },
      // A queued run may wait for a worker longer than a lease; the executor renews from its start.
      leaseExpiresAt: new Date(
        Date.now() + Math.max(this.config.runs.leaseMs * 4, background ? 3_600_000 : 0),
      ),
      createdById: p.userId,
      callbackUrl: req.callbackUrl ?? null,
    };
  }

  /** A 422 when the thread's model (or `override_model`) cannot serve the request. */
  private checkModel(handle: string, req: RunRequest): ResolvedModel {
    const resolved = this.resolveModel(handle, req);
    if (req.logprobs && resolved.llmConfig.model_endpoint_type === 'anthropic')
      throw new InvalidInputError(
        `return_logprobs is only supported by OpenAI-compatible providers, not '${resolved.provider}'`,
        'unsupported_field',
      );
    return resolved;
  }

  /** The thread's model, or the request's `override_model` (a 422 naming it when unusable). */
  private resolveModel(handle: string, req: RunRequest): ResolvedModel {
    if (!req.overrideModel) return this.models.resolve(handle);
    try {
      return this.models.resolve(req.overrideModel);
    } catch (err) {
      throw new InvalidInputError(`override_model: ${(err as Error).message}`, 'invalid_override_model');
    }
  }

  /**
   * Runs the agent to a stop, waiting behind earlier runs on the same thread: the agent's own
   * context, or one conversation's (conversations of one agent run side by side, as in Letta).
   */
  async execute(p: Principal, run: RunEntity, req: RunRequest, createOnStart = false): Promise<RunOutcome> {
    const controller = new AbortController();
    this.active.set(run.id, controller);
    this.events.open(run.id);
    this.events.announce(run.agentId, run.id);
    try {
      return await this.locks.withLock(
        run.conversationId ?? run.agentId,
        () => this.executeLocked(p, run, req, controller, createOnStart),
        run.id,
      );
    } finally {
      this.active.delete(run.id);
      this.events.close(run.id);
      // The run has ended (its callback job skips a run still active, e.g. one never started).
      if (run.callbackUrl)
        await this.callbacks
          .schedule(run)
          .catch((err: Error) => this.logger.warn(`run ${run.id}: callback not queued: ${err.message}`));
    }
  }

  /** Cancels runs of this agent (all active ones, or those listed). Returns the ids cancelled. */
  async cancel(p: Principal, agentId: string, runIds?: string[]): Promise<string[]> {
    const active = await this.runs.activeForAgent(p.organizationId, agentId, runIds);
    const cancelled: string[] = [];
    for (const run of active) {
      const done = await this.runs.finish(p.organizationId, run.id, {
        status: 'cancelled',
        stopReason: 'cancelled',
        completedAt: new Date(),
      });
      const local = this.active.get(run.id);
      if (local) local.abort();
      else await this.events.requestCancel(run.id).catch(() => undefined);
      if (done) cancelled.push(run.id);
      if (done) await this.callbacks.schedule(run).catch(() => undefined);
    }
    return cancelled;
  }

  private async executeLocked(
    p: Principal,
    run: RunEntity,
    req: RunRequest,
    controller: AbortController,
    createOnStart: boolean,
  ): Promise<RunOutcome> {
    const started = process.hrtime.bigint();
    const org = p.organizationId;
    // One statement starts the run (or creates it running) and reads its whole context; each
    // later step's prompt inputs come with the commit of the step before it.
    const sectionChecks = this.agents.promptSectionChecks();
    // What a step's commit reads for the next step's prompt (the same text for every step).
    const promptSelect = this.context.promptSelect(sectionChecks);
    const leaseExpiresAt = new Date(Date.now() + this.config.runs.leaseMs);
    const loaded = await this.context.startAndLoad(
      org,
      run.agentId,
      createOnStart
        ? { create: { ...run, status: 'running', leaseExpiresAt } }
        : { id: run.id, leaseExpiresAt },
      sectionChecks,
      !run.conversationId,
    );
    if (createOnStart) {
      if (!loaded.run || !loaded.context) throw new NotFoundError('Agent', run.agentId);
      run = loaded.run;
      // The checks createRun makes before a run exists: a refused request leaves no run behind.
      try {
        this.checkModel(modelHandle(loaded.context.agent), req);
      } catch (err) {
        await this.runs.deleteById(org, run.id);
        throw err;
      }
    }
    if (!loaded.started) {
      // Cancelled while it waited for the lock (or failed by a sweeper).
      const current = (await this.runs.findById(org, run.id)) ?? run;
      const result = emptyResult(current.status === 'cancelled' ? 'cancelled' : 'error');
      return { run: current, result, wire: wireOptions('', req) };
    }
    const context = loaded.context;
    if (!context) throw new NotFoundError('Agent', run.agentId);
    const { agent, tools: toolRows } = context;
    let prompt: Promise<PromptInputs> | null = Promise.resolve(context.prompt);
    const promptInputs = () => (prompt ??= this.context.promptInputs(org, agent.id, sectionChecks));
    const invalidatePrompt = () => void (prompt = null);
    // The run's status as the last step commit saw it: a sweeper or a lost cancel stops the loop.
    let runStatus: string | null = 'running';
    // Set when the last step's commit also ended the run.
    let endedWith: string | null = null;
    const wire = wireOptions(agent.agentType, req);
    let ttftNs: bigint | null = null;
    let result: RunAgentResult;
    try {
      const conversation = run.conversationId
        ? await this.conversation(p, agent.id, run.conversationId)
        : null;
      const handle = req.overrideModel ?? conversation?.model ?? modelHandle(agent);
      const resolved = this.resolveModel(conversation?.model ?? modelHandle(agent), req);
      // Letta's override_model swaps the whole llm_config for the request.
      const llmConfig = req.overrideModel
        ? (resolved.llmConfig as unknown as Record<string, unknown>)
        : agent.llmConfig;
      const inContext = conversation
        ? await this.messages.findInOrder(org, conversation.inContextMessageIds)
        : await this.inContextMessages(p, agent, context.inContext);
      // What this process knows of the agent's context, kept in step with each commit.
      let known = inContext;
      const config = agentConfig(agent, resolved, toolRows, llmConfig);
      if (conversation?.contextWindowLimit) config.contextWindow = conversation.contextWindowLimit;
      const conversationId = conversation?.id ?? null;
      const archival = this.archival.portFor(p, agent.id);
      result = await runAgent(
        {
          agent: config,
          inContextMessages: inContext,
          input: req.input,
          runId: run.id,
        },
        {
          llm: resolved.client,
          memory: this.memoryPort(p, agent.id, promptInputs, invalidatePrompt),
          archival: {
            ...archival,
            count: async () => (await promptInputs()).archivalCount,
            listTags: async () => (await promptInputs()).archiveTags,
          },
          recall: {
            ...this.recall.portFor(p, agent.id),
            count: async () => (await promptInputs()).recallCount,
          },
          tools: { execute: (r) => this.executeTool(p, toolRows, r) },
          store: {
            persistStep: async (input) => {
              // The last step's commit also ends the run: one statement, committed before the reply.
              const end =
                input.stopReason !== null && input.runUsage
                  ? this.runEnd(started, input.stopReason, input.runUsage, null, ttftNs)
                  : null;
              const also = end ? [this.runs.finishPart(run.id, end.run)] : [];
              const stored = await this.messages.persistStep(org, input, {
                modelHandle: handle,
                modelEndpoint: (llmConfig.model_endpoint as string | undefined) ?? null,
                contextWindow: config.contextWindow,
                conversationId,
                agentPatch: end?.agent,
                also,
                // A step the loop goes on from reads the next step's prompt inputs as it commits.
                select: input.stopReason === null ? promptSelect : undefined,
              });
              // The step's LLM call, bounded, is stored just after (README "Traces of runs and steps").
              if (input.providerTrace)
                this.traces.write(
                  org,
                  {
                    id: newId('provider_trace'),
                    stepId: input.stepId,
                    runId: run.id,
                    agentId: agent.id,
                    createdById: p.userId,
                    trace: input.providerTrace,
                  },
                  this.config.runs.providerTraceMaxBytes,
                );
              prompt = stored.selected
                ? Promise.resolve(
                    this.context.afterStep(stored.selected, sectionChecks.length, input.messages.length),
                  )
                : null;
              if (!conversationId)
                known = this.context.rememberStep(org, agent.id, stored.agentVersion, known, input);
              runStatus = stored.runStatus;
              if (end) {
                endedWith = input.stopReason;
                this.metrics.runFinished(input.stopReason!, Number(end.run.totalDurationNs) / 1e9);
              }
              if (input.timing) this.metrics.stepFinished(input.timing.stepNs / 1e9);
            },
            persistCompaction: async (input) => {
              await this.messages.persistCompaction(org, input, conversationId);
              known = [...known, asStored(input.summaryMessage)];
            },
          },
          events: {
            emit: (chunk) => {
              ttftNs ??= process.hrtime.bigint() - started;
              this.events.publish(run.id, chunk as unknown as Record<string, unknown>);
            },
          },
          // Cancelled here, or (seen by the last commit) cancelled elsewhere or failed by a sweeper.
          isCancelled: () => controller.signal.aborted || runStatus !== 'running',
        },
        {
          maxSteps: req.maxSteps,
          streamTokens: req.streamTokens,
          useAssistantMessage: wire.useAssistantMessage,
          assistantMessageToolName: wire.assistantMessageToolName,
          assistantMessageToolKwarg: wire.assistantMessageToolKwarg,
          signal: controller.signal,
          overrideSystem: req.overrideSystem,
          clientTools: req.clientTools,
          includeCompactionMessages: req.includeCompactionMessages,
          logprobs: req.logprobs,
        },
      );
    } catch (err) {
      const conflict = err instanceof AgentStateConflictError;
      const error = { type: conflict ? err.code : 'internal_error', message: (err as Error).message };
      if (!conflict && !(err instanceof DomainError))
        this.logger.error({ err, run_id: run.id }, 'run crashed');
      const ended = endedWith
        ? run
        : await this.finish(
            p,
            run,
            agent,
            started,
            conflict ? 'invalid_tool_call' : 'error',
            null,
            error,
            ttftNs,
            'failed',
          );
      this.events.publish(run.id, {
        message_type: 'error_message',
        run_id: run.id,
        error_type: error.type,
        message: error.message,
      });
      this.events.publish(run.id, {
        message_type: 'stop_reason',
        stop_reason: conflict ? 'invalid_tool_call' : 'error',
      });
      if (conflict) throw new ConflictError(err.message, err.code);
      if (err instanceof DomainError) throw err;
      result = emptyResult('error', error);
      return { run: ended, result, wire };
    }
    if (endedWith === result.stopReason && !result.error) {
      const end = this.runEnd(started, result.stopReason, result.usage, null, ttftNs);
      return { run: { ...run, ...end.run }, result, wire };
    }
    const ended = await this.finish(
      p,
      run,
      agent,
      started,
      result.stopReason,
      result.usage,
      result.error ?? null,
      ttftNs,
    );
    return { run: ended, result, wire };
  }

  /** The fields a run ends with, and the agent's last-run fields. */
  private runEnd(
    started: bigint,
    stopReason: string,
    usage: unknown,
    error: { type: string; message: string } | null,
    ttftNs: bigint | null,
    status: RunStatus = runStatusFor(stopReason),
  ): { run: Partial<RunEntity>; agent: Partial<AgentEntity> } {
    const durationNs = process.hrtime.bigint() - started;
    const now = new Date();
    return {
      run: {
        status,
        stopReason,
        usage: usage as Record<string, unknown> | null,
        error,
        completedAt: now,
        totalDurationNs: durationNs.toString(),
        ttftNs: (ttftNs ?? durationNs).toString(),
        leaseExpiresAt: null,
      },
      agent: {
        lastRunCompletion: now,
        lastRunDurationMs: Number(durationNs / 1_000_000n),
        lastStopReason: stopReason,
      },
    };
  }

  /** Ends a run whose last step did not end it (cancelled, failed, crashed): one statement. */
  private async finish(
    p: Principal,
    run: RunEntity,
    agent: AgentEntity,
    started: bigint,
    stopReason: string,
    usage: unknown,
    error: { type: string; message: string } | null,
    ttftNs: bigint | null,
    status?: RunStatus,
  ): Promise<RunEntity> {
    const end = this.runEnd(started, stopReason, usage, error, ttftNs, status);
    if (ttftNs === null) end.run.ttftNs = null;
    this.metrics.runFinished(stopReason, Number(end.run.totalDurationNs) / 1e9);
    const done = await this.runs.finishWithAgent(p.organizationId, run.id, end.run, agent.id, end.agent);
    return done ? { ...run, ...end.run } : ((await this.runs.findById(p.organizationId, run.id)) ?? run);
  }

  /** The agent's conversation (a 404 for another agent's, another tenant's, or a deleted one). */
  private async conversation(p: Principal, agentId: string, id: string): Promise<ConversationEntity> {
    const c = await this.conversations.findById(p.organizationId, id);
    if (!c || c.agentId !== agentId) throw new NotFoundError('Conversation', id);
    return c;
  }

  private async inContextMessages(
    p: Principal,
    agent: AgentEntity,
    found: AgentMessage[],
  ): Promise<AgentMessage[]> {
    if (found[0]?.role === 'system') return found;
    // An agent without a system message (e.g. imported): give it one, as creation does.
    const system = systemMessage(agent);
    await this.messages.persistCompaction(p.organizationId, {
      agentId: agent.id,
      summaryMessage: system,
      inContextMessageIds: [system.id, ...found.map((m) => m.id)],
      compaction: {
        summaryMessageId: system.id,
        evictedMessageIds: [],
        messagesCountBefore: found.length,
        messagesCountAfter: found.length + 1,
        tokensBefore: 0,
        tokensAfter: 0,
      },
    });
    return [system, ...found];
  }

  private memoryPort(p: Principal, agentId: string, inputs: () => Promise<PromptInputs>, edited: () => void) {
    const toMemory = (b: {
      id: string;
      label: string;
      value: string;
      limit: number;
      description: string | null;
      readOnly: boolean;
      updatedAt: Date;
    }): MemoryBlock => ({
      id: b.id,
      label: b.label,
      value: b.value,
      limit: b.limit,
      description: b.description,
      readOnly: b.readOnly,
      updatedAt: b.updatedAt,
    });
    return {
      getBlocks: async () => (await inputs()).blocks.map(toMemory),
      getPromptSections: async () => this.agents.promptSections(p, agentId, (await inputs()).sections),
      updateBlockValue: async (label: string, value: string) => {
        edited();
        try {
          return toMemory(await this.blocks.setValueForAgent(p, agentId, label, value));
        } catch (err) {
          if (err instanceof DomainError) {
            throw new MemoryEditError(err.message, err.status === 404 ? 'not_found' : 'limit_exceeded');
          }
          throw err;
        }
      },
    };
  }

  private async executeTool(
    p: Principal,
    toolRows: ToolEntity[],
    r: {
      name: string;
      args: Record<string, unknown>;
      toolCallId: string;
      agentId: string;
      runId?: string;
      stepId: string;
      signal?: AbortSignal;
    },
  ) {
    const tool = toolRows.find((t) => t.name === r.name);
    if (!tool)
      return { status: 'error' as const, funcReturn: `Tool '${r.name}' is not attached to this agent` };
    return this.executors.execute(tool, r.args, {
      principal: p,
      agentId: r.agentId,
      toolCallId: r.toolCallId,
      runId: r.runId,
      stepId: r.stepId,
      signal: r.signal,
    });
  }
}

export { modelHandle, systemMessage, wireOptions };

function agentConfig(
  agent: AgentEntity,
  resolved: ResolvedModel,
  toolRows: ToolEntity[],
  llm: Record<string, unknown>,
): AgentConfig {
  const tools: ToolSpec[] = toolRows.map((t) => {
    const schema = (t.jsonSchema ?? {}) as { description?: string; parameters?: Record<string, unknown> };
    return {
      name: t.name,
      description: schema.description ?? t.description ?? '',
      parameters: schema.parameters ?? { type: 'object', properties: {}, required: [] },
      returnCharLimit: BASE_TOOL_NAMES.has(t.name) ? undefined : t.returnCharLimit,
    };
  });
  return {
    id: agent.id,
    agentType: agent.agentType,
    system: agent.system,
    model: resolved.model,
    contextWindow: Number(llm.context_window ?? 32_000),
    timezone: agent.timezone,
    tools,
    toolRules: (agent.toolRules ?? []) as unknown as ToolRule[],
    temperature: typeof llm.temperature === 'number' ? llm.temperature : undefined,
    maxTokens: typeof llm.max_tokens === 'number' ? llm.max_tokens : undefined,
    parallelToolCalls: typeof llm.parallel_tool_calls === 'boolean' ? llm.parallel_tool_calls : undefined,
  };
}

function runStatusFor(stopReason: string): RunStatus {
  if (stopReason === 'cancelled') return 'cancelled';
  if (stopReason === 'error' || stopReason === 'llm_api_error') return 'failed';
  return 'completed';
}

function emptyResult(
  stopReason: RunAgentResult['stopReason'],
  error?: { type: string; message: string },
): RunAgentResult {
  return {
    messages: [],
    stopReason,
    inContextMessageIds: [],
    error,
    usage: {
      message_type: 'usage_statistics',
      completion_tokens: 0,
      prompt_tokens: 0,
      total_tokens: 0,
      step_count: 0,
      run_ids: null,
      cached_input_tokens: null,
      reasoning_tokens: null,
      context_tokens: null,
    },
  };
}
