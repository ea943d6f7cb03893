import { Injectable, OnModuleInit } from '@nestjs/common';
import { fromLettaInput, MessageInput, systemClock, uuidIds } from '@engram/agent-runtime';
import { AgentExtensions } from '../agents/agent-extensions';
import { systemMessage } from './wire';
import { MessagesRepository } from './messages.repository';

/**
 * Every agent starts with its system message in context (and any `initial_message_sequence`),
 * written in the same transaction that creates the agent.
 */
@Injectable()
export class InitialMessagesExtension implements OnModuleInit {
  constructor(
    private readonly extensions: AgentExtensions,
    private readonly messages: MessagesRepository,
  ) {}

  onModuleInit(): void {
    this.extensions.register({
      name: 'initial-messages',
      afterCreate: async (p, agent, dto, _prepared, m) => {
        const initial = fromLettaInput((dto.initial_message_sequence ?? []) as unknown as MessageInput[], {
          ids: uuidIds,
          clock: systemClock,
        });
        await this.messages.insertInitial(m, p.organizationId, agent.id, [systemMessage(agent), ...initial]);
      },
    });
  }
}
