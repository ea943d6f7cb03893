import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AgentMessage } from '@engram/agent-runtime';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AgentEntity } from '../agents/agent.entity';
import { MessageEntity } from '../messages/message.entity';
import { toAgentMessage, toEntity } from '../messages/message.mapper';

/** Reads and writes an agent's whole message history, for export and import. */
@Injectable()
export class AgentFilesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** One page of the agent's history in insertion order, after the given sequence number. */
  async historyPage(
    organizationId: string,
    agentId: string,
    afterSequence: string | null,
    limit: number,
  ): Promise<{ messages: AgentMessage[]; lastSequence: string | null }> {
    const qb = this.ds
      .getRepository(MessageEntity)
      .createQueryBuilder('m')
      .where('m.organization_id = :organizationId AND m.agent_id = :agentId', { organizationId, agentId });
    if (afterSequence !== null) qb.andWhere('m.sequence_id > :after', { after: afterSequence });
    const rows = await qb.orderBy('m.sequence_id', 'ASC').limit(limit).getMany();
    return { messages: rows.map(toAgentMessage), lastSequence: rows.at(-1)?.sequenceId ?? null };
  }

  /**
   * Inside the transaction that creates an imported agent: its placeholder messages (the system
   * message every new agent starts with) make way for the file's history, and the in-context
   * list becomes the file's.
   */
  async replaceHistory(
    m: EntityManager,
    organizationId: string,
    agentId: string,
    messages: AgentMessage[],
    inContextIds: string[],
  ): Promise<void> {
    const agent = await m.getRepository(AgentEntity).findOneByOrFail({ organizationId, id: agentId });
    if (agent.messageIds.length)
      await m.getRepository(MessageEntity).delete({ organizationId, agentId, id: In(agent.messageIds) });
    for (let i = 0; i < messages.length; i += 500)
      await m
        .getRepository(MessageEntity)
        .insert(
          messages
            .slice(i, i + 500)
            .map((msg) => toEntity(organizationId, agentId, msg)) as QueryDeepPartialEntity<MessageEntity>[],
        );
    await m.getRepository(AgentEntity).update({ organizationId, id: agentId }, { messageIds: inContextIds });
  }
}
