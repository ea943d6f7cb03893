import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AgentMessage, PersistCompactionInput, PersistStepInput } from '@engram/agent-runtime';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AgentEntity } from '../agents/agent.entity';
import { NotFoundError } from '../common/errors';
import { TenantRepository } from '../common/tenant.repository';
import { ConversationEntity } from './conversation.entity';
import { StepEntity } from './step.entity';
import { MessageEntity } from './message.entity';
import { toAgentMessage, toEntity } from './message.mapper';
import { insertValuesSql, textArrayParam, updateSetSql } from '../database/insert-sql';
import { preparedByShape } from '../database/prepared';

export interface MessagePage {
  before?: string;
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

export interface MessageFilter {
  agentId?: string;
  /**
   * One thread's history: a conversation's messages (with those a fork inherited), or with
   * `null` the agent's own default thread (messages of no conversation).
   */
  conversation?: { id: string; inherited: string[] } | null;
  runId?: string;
  stepId?: string;
  includeErr?: boolean;
}

/** Extra step facts the runtime does not know (model handle, endpoint, timings). */
export interface StepExtras {
  modelHandle?: string | null;
  modelEndpoint?: string | null;
  contextWindow?: number | null;
  /** The conversation the step ran in: its messages carry the id, its in-context list moves. */
  conversationId?: string | null;
  /** More fields of the agent row to write with the in-context ids (e.g. its last run). */
  agentPatch?: Partial<AgentEntity>;
  /**
   * More writes in the step's statement: each returns the SQL of one CTE part, appending its
   * parameters to `params` (numbered from `params.length + 1`; $1 is the organization id).
   * For what must commit with the step: the run's end, a provider trace.
   */
  also?: ((params: unknown[]) => string)[];
  /**
   * A select list over the agent row `a` to read in the same statement, returned as `selected`
   * (e.g. the next step's prompt inputs). It sees the database as the statement found it: not
   * the step's own writes (its messages are `input.messages`, all inserted).
   */
  select?: string;
}

@Injectable()
export class MessagesRepository extends TenantRepository<MessageEntity> {
  /**
   * A message row `m` as JSON with the columns the runtime reads (not its embedding or search
   * vector), for reads that aggregate messages into one statement; `camelRow` + `toAgentMessage`
   * turn it back into an AgentMessage.
   */
  static readonly AGENT_MESSAGE_JSON = `json_build_object('id', m.id, 'role', m.role, 'content', m.content,
    'tool_calls', m.tool_calls, 'tool_call_id', m.tool_call_id, 'name', m.name,
    'tool_returns', m.tool_returns, 'approvals', m.approvals, 'approval_request_id', m.approval_request_id,
    'run_id', m.run_id, 'step_id', m.step_id, 'otid', m.otid, 'sender_id', m.sender_id,
    'is_err', m.is_err, 'model', m.model, 'created_at', m.created_at)`;

  /**
   * The approval request an agent row `a`'s context ends with (its last run stopped on
   * `requires_approval`), as AGENT_MESSAGE_JSON; NULL when there is none.
   */
  static readonly PENDING_APPROVAL_JSON = `SELECT ${MessagesRepository.AGENT_MESSAGE_JSON}
    FROM messages m
    WHERE m.organization_id = a.organization_id AND m.id = a.message_ids[cardinality(a.message_ids)]
      AND m.role = 'approval' AND jsonb_typeof(m.tool_calls) = 'array' AND jsonb_array_length(m.tool_calls) > 0`;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(MessageEntity));
  }

  /** Messages by id in the order of `ids` (the agent's in-context list); unknown ids are skipped. */
  async findInOrder(organizationId: string, ids: string[]): Promise<AgentMessage[]> {
    if (ids.length === 0) return [];
    const rows = await this.repo.findBy({ organizationId, id: In(ids) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [toAgentMessage(row)] : [];
    });
  }

  /** History in insertion order, keyset-paged by message id cursors. */
  async list(organizationId: string, f: MessageFilter, page: MessagePage): Promise<AgentMessage[]> {
    return (await this.listRows(organizationId, f, page)).map(toAgentMessage);
  }

  /** The same, each message with its agent (for lists across agents, rendered per agent). */
  async listWithAgents(
    organizationId: string,
    f: MessageFilter,
    page: MessagePage,
  ): Promise<Array<{ agentId: string; message: AgentMessage }>> {
    const rows = await this.listRows(organizationId, f, page);
    return rows.map((r) => ({ agentId: r.agentId, message: toAgentMessage(r) }));
  }

  private async listRows(
    organizationId: string,
    f: MessageFilter,
    page: MessagePage,
  ): Promise<MessageEntity[]> {
    const qb = this.scoped(organizationId, 'm');
    if (f.agentId) qb.andWhere('m.agent_id = :agentId', { agentId: f.agentId });
    if (f.conversation === null) qb.andWhere('m.conversation_id IS NULL');
    else if (f.conversation)
      qb.andWhere('(m.conversation_id = :convId OR m.id = ANY(:inherited))', {
        convId: f.conversation.id,
        inherited: f.conversation.inherited,
      });
    if (f.runId) qb.andWhere('m.run_id = :runId', { runId: f.runId });
    if (f.stepId) qb.andWhere('m.step_id = :stepId', { stepId: f.stepId });
    if (f.includeErr === false) qb.andWhere('(m.is_err IS NULL OR m.is_err = false)');
    const desc = page.order === 'desc';
    const forward = page.before === undefined;
    const cursor = page.after ?? page.before;
    if (cursor) {
      const row = await this.scoped(organizationId, 'c').andWhere('c.id = :cursor', { cursor }).getOne();
      if (!row) throw new NotFoundError('Message', cursor);
      const greater = forward !== desc;
      qb.andWhere(`m.sequence_id ${greater ? '>' : '<'} :seq`, { seq: row.sequenceId });
    }
    const fetchDesc = forward ? desc : !desc;
    qb.orderBy('m.sequence_id', fetchDesc ? 'DESC' : 'ASC').limit(page.limit);
    const rows = await qb.getMany();
    return forward ? rows : rows.reverse();
  }

  async count(organizationId: string, agentId: string): Promise<number> {
    return this.repo.countBy({ organizationId, agentId });
  }

  /**
   * One step, one statement (a data-modifying CTE, atomic and committed before it returns): its
   * new messages, the refreshed system message, the step row and the agent's in-context ids,
   * plus what rides along (`extras.agentPatch`, `extras.also`: e.g. the end of the run). A
   * crash before it commits leaves the previous step's state intact. Returns the run's status
   * as the statement found it (for cancel checks without a read of their own), the row
   * count of each `also` part that has a RETURNING clause, and the agent row's version after
   * the commit (its `xmin`; null when the step did not touch the row).
   */
  async persistStep(
    organizationId: string,
    input: PersistStepInput,
    extras: StepExtras,
  ): Promise<{
    runStatus: string | null;
    also: number[];
    agentVersion: string | null;
    selected?: Record<string, unknown>;
  }> {
    const params: unknown[] = [organizationId, input.agentId];
    const parts: string[] = [];
    if (input.messages.length) {
      const rows = input.messages.map((msg) =>
        toEntity(organizationId, input.agentId, msg, extras.conversationId ?? null),
      );
      parts.push(`ins_messages AS (${insertValuesSql(this.repo.metadata, rows, params)})`);
    }
    if (input.systemMessage) {
      const e = toEntity(organizationId, '', input.systemMessage);
      params.push(JSON.stringify(e.content), e.textContent, input.systemMessage.id);
      const n = params.length;
      parts.push(
        `upd_system AS (UPDATE messages SET content = $${n - 2}::jsonb, text_content = $${n - 1}
           WHERE organization_id = $1 AND id = $${n})`,
      );
    }
    const u = input.usage;
    const step: Partial<StepEntity> = {
      id: input.stepId,
      organizationId,
      agentId: input.agentId,
      runId: input.runId ?? null,
      stepIndex: input.stepIndex,
      status: input.stopReason === 'error' || input.stopReason === 'llm_api_error' ? 'failed' : 'success',
      stopReason: input.stopReason,
      providerName: input.provider,
      model: input.model,
      modelHandle: extras.modelHandle ?? null,
      modelEndpoint: extras.modelEndpoint ?? null,
      contextWindowLimit: extras.contextWindow ?? null,
      promptTokens: u.promptTokens,
      completionTokens: u.completionTokens,
      totalTokens: u.totalTokens,
      cachedInputTokens: u.cachedInputTokens ?? null,
      reasoningTokens: u.reasoningTokens ?? null,
      stepNs: input.timing ? String(input.timing.stepNs) : null,
      llmRequestNs: input.timing ? String(input.timing.llmRequestNs) : null,
      toolExecutionNs: input.timing ? String(input.timing.toolExecutionNs) : null,
    };
    parts.push(`ins_step AS (${insertValuesSql(this.ds.getMetadata(StepEntity), [step], params)})`);
    // The thread's in-context list: the conversation's when the step ran in one, else the agent's.
    const agentPatch: Partial<AgentEntity> = { ...extras.agentPatch };
    if (extras.conversationId) {
      params.push(textArrayParam(input.inContextMessageIds), extras.conversationId);
      parts.push(
        `upd_conversation AS (UPDATE conversations SET in_context_message_ids = $${params.length - 1},
           updated_at = now() WHERE organization_id = $1 AND id = $${params.length} AND agent_id = $2)`,
      );
    } else agentPatch.messageIds = input.inContextMessageIds;
    let agentVersion = 'NULL::text';
    if (Object.keys(agentPatch).length) {
      const agentSet = updateSetSql(this.ds.getMetadata(AgentEntity), agentPatch, params);
      parts.push(
        `upd_agent AS (UPDATE agents SET ${agentSet} WHERE organization_id = $1 AND id = $2 RETURNING xmin::text AS version)`,
      );
      agentVersion = '(SELECT version FROM upd_agent)';
    }
    const also = (extras.also ?? []).map((part) => part(params));
    also.forEach((sql, i) => parts.push(`also${i} AS (${sql})`));
    let runStatus = 'NULL::text';
    if (input.runId) {
      params.push(input.runId);
      runStatus = `(SELECT status FROM runs WHERE organization_id = $1 AND id = $${params.length})`;
    }
    const counts = also.map((sql, i) =>
      /\bRETURNING\b/i.test(sql) ? `(SELECT count(*) FROM also${i})::int` : '0',
    );
    // One row even when the agent is gone (its columns then null).
    const selected = extras.select
      ? `, to_json(sel) AS selected FROM (SELECT 1) one
         LEFT JOIN LATERAL (SELECT ${extras.select} FROM agents a WHERE a.organization_id = $1 AND a.id = $2) sel ON true`
      : '';
    const sql = `WITH ${parts.join(',\n')}
      SELECT ${runStatus} AS run_status, ARRAY[${counts.join(', ')}]::int[] AS also,
        ${agentVersion} AS agent_version${selected}`;
    const [row] = await preparedByShape<{
      run_status: string | null;
      also: number[];
      agent_version: string | null;
      selected?: Record<string, unknown> | null;
    }>(this.ds, 'step', sql, params);
    return {
      runStatus: row.run_status,
      also: row.also,
      agentVersion: row.agent_version,
      ...(extras.select ? { selected: row.selected ?? undefined } : {}),
    };
  }

  /**
   * A summarization outside a step: the summary message and the shortened in-context list (of
   * the agent, or of the conversation named).
   */
  async persistCompaction(
    organizationId: string,
    input: PersistCompactionInput,
    conversationId?: string | null,
  ): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m
        .getRepository(MessageEntity)
        .insert(
          toEntity(
            organizationId,
            input.agentId,
            input.summaryMessage,
            conversationId ?? null,
          ) as QueryDeepPartialEntity<MessageEntity>,
        );
      await setContext(m, organizationId, input.agentId, conversationId, input.inContextMessageIds);
    });
  }

  /** Resets the agent's context to the given ids (history stays stored and searchable). */
  async setInContext(organizationId: string, agentId: string, ids: string[]): Promise<void> {
    await this.ds.getRepository(AgentEntity).update({ organizationId, id: agentId }, { messageIds: ids });
  }

  /** Simple full-text recall over one agent's history, newest first (used when no hybrid search is wired). */
  async searchText(
    organizationId: string,
    agentId: string,
    opts: { query?: string; roles?: string[]; limit: number; startDate?: Date; endDate?: Date },
  ): Promise<AgentMessage[]> {
    const qb = this.scoped(organizationId, 'm').andWhere('m.agent_id = :agentId', { agentId });
    qb.andWhere(`m.role <> 'system'`);
    if (opts.query) qb.andWhere(`m.fts @@ websearch_to_tsquery('english', :q)`, { q: opts.query });
    if (opts.roles?.length) qb.andWhere('m.role = ANY(:roles)', { roles: opts.roles });
    if (opts.startDate) qb.andWhere('m.created_at >= :start', { start: opts.startDate });
    if (opts.endDate) qb.andWhere('m.created_at <= :end', { end: opts.endDate });
    const rows = await qb.orderBy('m.sequence_id', 'DESC').limit(opts.limit).getMany();
    return rows.map(toAgentMessage);
  }

  private async updateContent(m: EntityManager, organizationId: string, msg: AgentMessage): Promise<void> {
    const e = toEntity(organizationId, '', msg);
    await m.getRepository(MessageEntity).update({ organizationId, id: msg.id }, {
      content: e.content,
      textContent: e.textContent,
    } as QueryDeepPartialEntity<MessageEntity>);
  }
}

/** Moves a thread's in-context list: the conversation's when one is named, else the agent's. */
async function setContext(
  m: EntityManager,
  organizationId: string,
  agentId: string,
  conversationId: string | null | undefined,
  ids: string[],
): Promise<void> {
  if (conversationId)
    await m
      .getRepository(ConversationEntity)
      .update({ organizationId, id: conversationId, agentId }, { inContextMessageIds: ids });
  else await m.getRepository(AgentEntity).update({ organizationId, id: agentId }, { messageIds: ids });
}
