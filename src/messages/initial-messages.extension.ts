import { Injectable, OnModuleInit } from '@nestjs/common';
import { fromLettaInput, MessageInput, systemClock, uuidIds } from '@engram/agent-runtime';
import { AgentExtensions } from '../agents/agent-extensions';
import { systemMessage } from './wire';
import type { AgentEntity } from '../agents/agent.entity';
import { MessageEntity } from './message.entity';
import { toEntity } from './message.mapper';

/**
 * Every agent starts with its system message in context (and any `initial_message_sequence`),
 * written in the statement that creates the agent.
 */
@Injectable()
export class InitialMessagesExtension implements OnModuleInit {
  constructor(private readonly extensions: AgentExtensions) {}

  onModuleInit(): void {
    this.extensions.register({
      name: 'initial-messages',
      createRows: (p, agent, dto) => {
        const initial = fromLettaInput((dto.initial_message_sequence ?? []) as unknown as MessageInput[], {
          ids: uuidIds,
          clock: systemClock,
        });
        const messages = [systemMessage(agent as AgentEntity), ...initial];
        return {
          agent: { messageIds: messages.map((m) => m.id) },
          rows: [
            { entity: MessageEntity, rows: messages.map((m) => toEntity(p.organizationId, agent.id, m)) },
          ],
        };
      },
    });
  }
}
