import { Injectable, Logger } from '@nestjs/common';
import {
  LettaMessageOptions,
  summarizeAgentContext,
  toDefinition,
  toLettaMessageList,
  toLlmMessages,
  uuidIds,
  systemClock,
} from '@engram/agent-runtime';
import type { FastifyReply } from 'fastify';
import { AgentsService } from '../agents/agents.service';
import { Principal } from '../common/auth/principal';
import { NotFoundError } from '../common/errors';
import { ModelsService } from '../models/models.service';
import { AgentRunner, modelHandle, wireOptions } from '../runs/agent-runner.service';
import { RunRequest } from '../runs/run-request';
import { toRunDto } from '../runs/run.dto';
import { RunEvents } from '../streaming/run-events';
import { openSse } from '../streaming/sse';
import { MessagePage, MessagesRepository } from './messages.repository';

/** Chunks every stream carries whatever include_return_message_types says. */
const ALWAYS = new Set(['stop_reason', 'usage_statistics', 'ping', 'error_message']);

export function typeFilter(types?: string[] | null) {
  if (!types?.length) return () => true;
  const allowed = new Set(types);
  return (chunk: unknown) => {
    const t = (chunk as { message_type?: string }).message_type ?? '';
    return ALWAYS.has(t) || allowed.has(t);
  };
}

@Injectable()
export class MessagesService {
  private readonly logger = new Logger(MessagesService.name);

  constructor(
    private readonly agents: AgentsService,
    private readonly messages: MessagesRepository,
    private readonly runner: AgentRunner,
    private readonly events: RunEvents,
    private readonly models: ModelsService,
  ) {}

  /** POST /messages: runs to a stop and answers with Letta's LettaResponse. */
  async send(p: Principal, agentId: string, req: RunRequest) {
    const run = await this.runner.createRun(p, agentId, req, false);
    const { result, wire } = await this.runner.execute(p, run, req);
    const keep = typeFilter(req.includeReturnMessageTypes);
    const produced = result.messages.filter((m) => m.role !== 'user' && m.role !== 'system');
    return {
      messages: toLettaMessageList(produced, wire).filter(keep),
      stop_reason: { message_type: 'stop_reason', stop_reason: result.stopReason },
      usage: { ...result.usage, run_ids: [run.id] },
    };
  }

  /**
   * POST /messages/stream (or /messages with streaming): Server-Sent Events of the run as it
   * happens. A client that goes away cancels a foreground run at its next step boundary; a
   * background run goes on and can be resumed with /v1/runs/:id/stream.
   */
  async stream(p: Principal, agentId: string, req: RunRequest, reply: FastifyReply, pings: boolean) {
    const run = await this.runner.createRun(p, agentId, req, Boolean(req.background));
    const sse = openSse(reply, { pingMs: pings ? 5_000 : undefined });
    const keep = typeFilter(req.includeReturnMessageTypes);
    const unsubscribe = this.events.follow(
      run.id,
      0,
      (e) => {
        if (keep(e.data)) sse.send(e.data);
      },
      () => sse.end(),
    );
    sse.onClose(() => {
      unsubscribe();
      if (!req.background) void this.runner.cancel(p, agentId, [run.id]).catch(() => undefined);
    });
    this.runner.execute(p, run, req).catch((err: Error) => {
      sse.send({ message_type: 'error_message', run_id: run.id, error_type: err.name, message: err.message });
      sse.send({ message_type: 'stop_reason', stop_reason: 'error' });
      sse.end();
    });
  }

  /** POST /messages/async: the run is created now and executed in the background. */
  async sendAsync(p: Principal, agentId: string, req: RunRequest) {
    const run = await this.runner.createRun(p, agentId, req, true);
    setImmediate(() => {
      this.runner
        .execute(p, run, req)
        .catch((err: Error) => this.logger.warn(`background run ${run.id}: ${err.message}`));
    });
    return toRunDto(run);
  }

  async list(
    p: Principal,
    agentId: string,
    page: MessagePage,
    wire: Partial<LettaMessageOptions>,
    opts: { types?: string[]; includeErr?: boolean },
  ) {
    const agent = await this.agents.get(p, agentId);
    const msgs = await this.messages.list(p.organizationId, { agentId, includeErr: opts.includeErr }, page);
    return this.render(msgs, agent.agentType, wire, opts.types);
  }

  render(
    msgs: Parameters<typeof toLettaMessageList>[0],
    agentType: string,
    wire: Partial<LettaMessageOptions>,
    types?: string[] | null,
  ) {
    const opts = wireOptions(agentType, {
      input: [],
      useAssistantMessage: wire.useAssistantMessage,
      assistantMessageToolName: wire.assistantMessageToolName,
      assistantMessageToolKwarg: wire.assistantMessageToolKwarg,
    });
    return toLettaMessageList(msgs, opts).filter(typeFilter(types));
  }

  async get(p: Principal, messageId: string) {
    const msg = await this.messages.findById(p.organizationId, messageId);
    if (!msg) throw new NotFoundError('Message', messageId);
    const agent = await this.agents.get(p, msg.agentId);
    const [stored] = await this.messages.findInOrder(p.organizationId, [messageId]);
    return this.render([stored], agent.agentType, {});
  }

  async cancel(p: Principal, agentId: string, runIds?: string[] | null) {
    await this.agents.assertExists(p, agentId);
    const cancelled = await this.runner.cancel(p, agentId, runIds ?? undefined);
    return Object.fromEntries(cancelled.map((id) => [id, 'cancelled']));
  }

  /** Context back to the system message alone; the history stays stored and searchable. */
  async reset(p: Principal, agentId: string) {
    const agent = await this.agents.get(p, agentId);
    await this.messages.setInContext(p.organizationId, agentId, agent.messageIds.slice(0, 1));
    return this.agents.getState(p, agentId);
  }

  /** POST /summarize: compacts the in-context messages now, with the agent's model. */
  async summarize(p: Principal, agentId: string) {
    const agent = await this.agents.get(p, agentId);
    const resolved = this.models.resolve(modelHandle(agent));
    const inContext = await this.messages.findInOrder(p.organizationId, agent.messageIds);
    const result = await summarizeAgentContext({
      agentId,
      inContext,
      systemPrompt: inContext[0] ? (toLlmMessages([inContext[0]])[0]?.content ?? agent.system) : agent.system,
      tools: [] as ReturnType<typeof toDefinition>[],
      llm: resolved.client,
      model: resolved.model,
      contextWindow: Number(agent.llmConfig.context_window ?? 32_000),
      ids: uuidIds,
      clock: systemClock,
      timezone: agent.timezone,
      store: {
        persistStep: async () => undefined,
        persistCompaction: (input) => this.messages.persistCompaction(p.organizationId, input),
      },
    });
    // Letta's CompactionResponse; with nothing to cut the context stays as it was.
    return {
      num_messages_before: inContext.length,
      num_messages_after: result.summarized ? result.inContext.length : inContext.length,
      summary: result.summarized ? result.summary : '',
    };
  }
}
