import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AgentMessage } from '@engram/agent-runtime';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { NotFoundError } from '../common/errors';
import { PageRequest } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { ConversationEntity } from './conversation.entity';
import { MessageEntity } from './message.entity';
import { toEntity } from './message.mapper';

export type ConversationOrder = 'created_at' | 'last_message_at' | 'last_run_completion';

export interface ConversationFilter {
  agentId?: string;
  archived?: boolean;
  summarySearch?: string;
}

/** The sort key of each order: ties and missing values fall back to the creation time. */
const SORT_KEYS: Record<ConversationOrder, (alias: string) => string> = {
  created_at: (a) => `${a}.created_at`,
  last_message_at: (a) => `COALESCE(${a}.last_message_at, ${a}.created_at)`,
  last_run_completion: (a) =>
    `COALESCE((SELECT max(r.completed_at) FROM runs r WHERE r.organization_id = ${a}.organization_id
       AND r.conversation_id = ${a}.id), ${a}.created_at)`,
};

@Injectable()
export class ConversationsRepository extends TenantRepository<ConversationEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(ConversationEntity));
  }

  /**
   * A new conversation and its own system message, in one transaction. `inherited` are the
   * in-context messages a fork starts from (after the system message).
   */
  async create(
    row: Partial<ConversationEntity> & { id: string; organizationId: string; agentId: string },
    system: AgentMessage,
    inherited: string[] = [],
  ): Promise<ConversationEntity> {
    await this.ds.transaction(async (m) => {
      await m.getRepository(ConversationEntity).insert({
        ...row,
        inContextMessageIds: [system.id, ...inherited],
        inheritedMessageIds: inherited,
      } as QueryDeepPartialEntity<ConversationEntity>);
      await m
        .getRepository(MessageEntity)
        .insert(
          toEntity(row.organizationId, row.agentId, system, row.id) as QueryDeepPartialEntity<MessageEntity>,
        );
    });
    return (await this.findById(row.organizationId, row.id))!;
  }

  async list(
    organizationId: string,
    f: ConversationFilter,
    page: PageRequest,
    orderBy: ConversationOrder,
  ): Promise<ConversationEntity[]> {
    const qb = this.scoped(organizationId, 'c').andWhere('c.hidden = false');
    if (f.agentId) qb.andWhere('c.agent_id = :agentId', { agentId: f.agentId });
    if (f.archived !== undefined) qb.andWhere('c.archived = :archived', { archived: f.archived });
    if (f.summarySearch)
      qb.andWhere(`c.summary ILIKE :search ESCAPE '\\'`, {
        search: `%${f.summarySearch.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`,
      });
    const key = SORT_KEYS[orderBy];
    const desc = page.order === 'desc';
    const forward = page.before === undefined;
    const cursorId = page.after ?? page.before;
    if (cursorId !== undefined) {
      const exists = await this.findById(organizationId, cursorId);
      if (!exists) throw new NotFoundError('Conversation', cursorId);
      const op = forward !== desc ? '>' : '<';
      qb.andWhere(
        `(${key('c')}, c.id) ${op} (SELECT ${key('k')}, k.id FROM conversations k WHERE k.id = :cursorId)`,
        { cursorId },
      );
    }
    const dir = (forward ? desc : !desc) ? 'DESC' : 'ASC';
    qb.orderBy(key('c'), dir).addOrderBy('c.id', dir).limit(page.limit);
    const rows = await qb.getMany();
    return forward ? rows : rows.reverse();
  }

  async update(organizationId: string, id: string, patch: Partial<ConversationEntity>): Promise<void> {
    await this.repo.update({ organizationId, id }, patch as QueryDeepPartialEntity<ConversationEntity>);
  }

  /** The run that took the message with this otid in the conversation (Letta's otid lookup). */
  async runIdForOtid(organizationId: string, conversationId: string, otid: string): Promise<string | null> {
    const row = await this.ds
      .getRepository(MessageEntity)
      .createQueryBuilder('m')
      .select('m.run_id', 'run_id')
      .where('m.organization_id = :organizationId AND m.conversation_id = :conversationId', {
        organizationId,
        conversationId,
      })
      .andWhere('m.otid = :otid AND m.run_id IS NOT NULL', { otid })
      .orderBy('m.sequence_id', 'DESC')
      .limit(1)
      .getRawOne<{ run_id: string }>();
    return row?.run_id ?? null;
  }
}
