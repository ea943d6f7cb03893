import { Injectable } from '@nestjs/common';
import { AgentsService } from '../agents/agents.service';
import { Principal } from '../common/auth/principal';
import {
  BadRequestError,
  ConflictError,
  DomainError,
  InvalidInputError,
  NotFoundError,
} from '../common/errors';
import { isId, newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { ConversationEntity } from '../messages/conversation.entity';
import { ConversationOrder, ConversationsRepository } from '../messages/conversations.repository';
import { MessagesService } from '../messages/messages.service';
import { systemMessage } from '../messages/wire';
import { ModelsService } from '../models/models.service';
import { AgentRunner } from '../runs/agent-runner.service';
import { RunRequest } from '../runs/run-request';
import { ACTIVE_STATUSES, RunsRepository } from '../runs/runs.repository';
import { RunsService } from '../runs/runs.service';
import { RunStream, SendService, StreamChunk } from '../runs/send.service';
import { SystemPromptService } from '../system-prompt/system-prompt.service';
import {
  CreateConversationDto,
  ListConversationsQueryDto,
  UpdateConversationDto,
} from './dto/conversation.dto';

/**
 * One of an agent's threads: a conversation, or (Letta's agent-direct mode: conversation id
 * `default` with `agent_id`, or a bare agent id) the agent's own context.
 */
export interface Thread {
  agentId: string;
  conversation: ConversationEntity | null;
}

/**
 * Conversations: several message threads on one agent, sharing its memory blocks and tools.
 * Everything a thread does is done by the services the agent routes use (the send service and
 * runner, the message store, the prompt compiler), told which context to work in; this class
 * only keeps the conversation rows and resolves which thread a request means.
 */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly agents: AgentsService,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesService,
    private readonly models: ModelsService,
    private readonly sends: SendService,
    private readonly runner: AgentRunner,
    private readonly runs: RunsRepository,
    private readonly runReads: RunsService,
    private readonly prompts: SystemPromptService,
  ) {}

  async create(p: Principal, agentId: string, dto: CreateConversationDto): Promise<ConversationEntity> {
    const agent = await this.agents.get(p, agentId);
    if (dto.model) this.models.resolve(dto.model);
    return this.conversations.create(
      {
        id: newId('conv'),
        organizationId: p.organizationId,
        agentId: agent.id,
        summary: dto.summary ?? null,
        description: dto.description ?? null,
        model: dto.model ?? null,
        contextWindowLimit: dto.context_window_limit ?? null,
        hidden: dto.hidden ?? false,
        createdById: p.userId,
        lastUpdatedById: p.userId,
      },
      systemMessage(agent),
    );
  }

  async get(p: Principal, id: string): Promise<ConversationEntity> {
    const c = await this.conversations.findById(p.organizationId, id);
    if (!c) throw new NotFoundError('Conversation', id);
    return c;
  }

  async list(p: Principal, q: ListConversationsQueryDto, page: PageRequest) {
    if (q.agent_id) await this.agents.assertExists(p, q.agent_id);
    const status = q.archive_status ?? 'unarchived';
    return this.conversations.list(
      p.organizationId,
      {
        agentId: q.agent_id,
        archived: status === 'all' ? undefined : status === 'archived',
        summarySearch: q.summary_search,
      },
      page,
      (q.order_by ?? 'created_at') as ConversationOrder,
    );
  }

  async update(p: Principal, id: string, dto: UpdateConversationDto): Promise<ConversationEntity> {
    const c = await this.get(p, id);
    if (dto.model) this.models.resolve(dto.model);
    const patch: Partial<ConversationEntity> = { lastUpdatedById: p.userId };
    if (dto.summary !== undefined) patch.summary = dto.summary;
    if (dto.description !== undefined) patch.description = dto.description;
    if (dto.model !== undefined) patch.model = dto.model;
    if (dto.context_window_limit !== undefined) patch.contextWindowLimit = dto.context_window_limit;
    if (dto.last_message_at !== undefined)
      patch.lastMessageAt = dto.last_message_at === null ? null : new Date(dto.last_message_at);
    if (dto.archived !== undefined && dto.archived !== c.archived) {
      patch.archived = dto.archived;
      patch.archivedAt = dto.archived ? new Date() : null;
    }
    await this.conversations.update(p.organizationId, id, patch);
    return this.get(p, id);
  }

  /** The row goes; the messages stay stored and searchable (with their conversation id). */
  async delete(p: Principal, id: string): Promise<void> {
    const c = await this.get(p, id);
    const active = await this.activeRunIds(p, { agentId: c.agentId, conversation: c });
    if (active.length)
      throw new ConflictError(`Conversation '${id}' has runs in progress: cancel them first`, 'busy');
    await this.conversations.deleteById(p.organizationId, id);
  }

  /** `default` + agent_id, a (deprecated) bare agent id, or a conversation id. */
  async thread(p: Principal, conversationId: string, agentId?: string | null): Promise<Thread> {
    if (conversationId === 'default') {
      if (!agentId)
        throw new InvalidInputError(
          "conversation_id 'default' names the agent's own thread: give agent_id too",
        );
      await this.agents.assertExists(p, agentId);
      return { agentId, conversation: null };
    }
    if (isId('agent', conversationId)) {
      await this.agents.assertExists(p, conversationId);
      return { agentId: conversationId, conversation: null };
    }
    const conversation = await this.get(p, conversationId);
    // An agent_id beside a conversation id must be the conversation's agent.
    if (agentId && agentId !== conversation.agentId) throw new NotFoundError('Conversation', conversationId);
    return { agentId: conversation.agentId, conversation };
  }

  async send(p: Principal, t: Thread, req: RunRequest) {
    await this.touch(p, t);
    return this.sends.send(p, t.agentId, { ...req, conversationId: t.conversation?.id });
  }

  async stream(p: Principal, t: Thread, req: RunRequest): Promise<RunStream> {
    await this.touch(p, t);
    return this.sends.stream(p, t.agentId, { ...req, conversationId: t.conversation?.id });
  }

  listMessages(
    p: Principal,
    t: Thread,
    page: PageRequest,
    opts: { types?: string[]; includeErr?: boolean; groupId?: string },
  ) {
    // Engram has no multi-agent groups, so no message belongs to one.
    if (opts.groupId) return Promise.resolve([]);
    return this.messages.list(
      p,
      t.agentId,
      page,
      {},
      {
        types: opts.types,
        includeErr: opts.includeErr,
        conversationId: t.conversation?.id ?? 'default',
      },
    );
  }

  /** Cancels the thread's runs in progress; Letta answers 409 when there are none. */
  async cancel(p: Principal, t: Thread): Promise<Record<string, string>> {
    const ids = await this.activeRunIds(p, t);
    if (!ids.length)
      throw new ConflictError(
        `No active runs to cancel in ${t.conversation ? `conversation '${t.conversation.id}'` : `agent '${t.agentId}'`}`,
        'no_active_runs',
      );
    const cancelled = await this.runner.cancel(p, t.agentId, ids);
    return Object.fromEntries(ids.map((id) => [id, cancelled.includes(id) ? 'cancelled' : 'failed']));
  }

  /**
   * A new conversation on the same agent starting from the thread's in-context messages (the
   * same rows, not copies; up to `messageId` when given) behind a system message of its own.
   */
  async fork(p: Principal, t: Thread, opts: { hidden?: boolean; messageId?: string }) {
    const agent = await this.agents.get(p, t.agentId);
    let context = (t.conversation ? t.conversation.inContextMessageIds : agent.messageIds).slice(1);
    if (opts.messageId) {
      const at = context.indexOf(opts.messageId);
      if (at < 0)
        throw new DomainError(
          404,
          'not_found',
          `Message '${opts.messageId}' is not in the context of '${t.conversation?.id ?? t.agentId}'`,
        );
      context = context.slice(0, at + 1);
    }
    return this.conversations.create(
      {
        id: newId('conv'),
        organizationId: p.organizationId,
        agentId: agent.id,
        model: t.conversation?.model ?? null,
        contextWindowLimit: t.conversation?.contextWindowLimit ?? null,
        hidden: opts.hidden ?? false,
        createdById: p.userId,
        lastUpdatedById: p.userId,
      },
      systemMessage(agent),
      context,
    );
  }

  /**
   * The system prompt the thread's next step sends. Every step compiles it afresh from the
   * agent's blocks (shared by all its conversations), so there is nothing to store either way.
   */
  recompile(p: Principal, t: Thread, dryRun?: boolean): Promise<string> {
    return this.prompts.recompile(p, t.agentId, { dryRun });
  }

  compact(p: Principal, t: Thread) {
    return this.messages.summarize(p, t.agentId, t.conversation ?? undefined);
  }

  /**
   * Resumes a thread's stream: the run named by `run_id`, or the run that took the message with
   * `otid`, else the thread's newest run in progress, else its newest run (replayed to its end).
   */
  async resume(
    p: Principal,
    t: Thread,
    opts: { runId?: string | null; otid?: string | null; startingAfter?: number },
  ): Promise<AsyncIterable<StreamChunk>> {
    let runId = opts.runId ?? null;
    if (runId) {
      const run = await this.runs.findById(p.organizationId, runId);
      if (!run || run.agentId !== t.agentId || run.conversationId !== (t.conversation?.id ?? null))
        throw new NotFoundError('Run', runId);
    } else if (opts.otid) {
      runId = t.conversation
        ? await this.conversations.runIdForOtid(p.organizationId, t.conversation.id, opts.otid)
        : null;
      if (!runId) throw new NotFoundError('Run with otid', opts.otid);
    } else {
      const filter = { agentIds: [t.agentId], conversationId: t.conversation?.id ?? null };
      const newest = { limit: 1, order: 'desc' as const };
      const [active] = await this.runs.list(p.organizationId, { ...filter, active: true }, newest);
      const [latest] = active ? [active] : await this.runs.list(p.organizationId, filter, newest);
      if (!latest) throw new BadRequestError('No runs found for this conversation.', 'no_runs');
      runId = latest.id;
    }
    return this.runReads.stream(p, runId, opts.startingAfter ?? 0);
  }

  private async activeRunIds(p: Principal, t: Thread): Promise<string[]> {
    const runs = await this.runs.list(
      p.organizationId,
      {
        agentIds: [t.agentId],
        conversationId: t.conversation?.id ?? null,
        statuses: ACTIVE_STATUSES,
      },
      { limit: 1000, order: 'desc' },
    );
    return runs.map((r) => r.id);
  }

  /** Letta marks a conversation's message activity when a send arrives. */
  private async touch(p: Principal, t: Thread): Promise<void> {
    if (t.conversation)
      await this.conversations.update(p.organizationId, t.conversation.id, { lastMessageAt: new Date() });
  }
}
