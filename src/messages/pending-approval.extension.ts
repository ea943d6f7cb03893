import { Injectable, OnModuleInit } from '@nestjs/common';
import { toLettaMessages } from '@engram/agent-runtime';
import { AgentExtensions } from '../agents/agent-extensions';
import { camelRow } from '../database/prepared';
import type { MessageEntity } from './message.entity';
import { toAgentMessage } from './message.mapper';
import { MessagesRepository } from './messages.repository';

/**
 * An agent's `pending_approval`: while its last run stopped on `requires_approval`, the approval
 * request message its context ends with (as Letta shows it); null otherwise. Read as a part of
 * the agent-state statement, so GET /v1/agents/:id stays one round trip.
 */
@Injectable()
export class PendingApprovalExtension implements OnModuleInit {
  constructor(private readonly extensions: AgentExtensions) {}

  onModuleInit(): void {
    this.extensions.register({
      name: 'pending-approval',
      statePart: {
        sql: MessagesRepository.PENDING_APPROVAL_JSON,
        toState: (value) => {
          if (!value) return {};
          const message = toAgentMessage(
            camelRow(value as Record<string, unknown>) as unknown as MessageEntity,
          );
          const request = toLettaMessages(message).find((m) => m.message_type === 'approval_request_message');
          return request ? { pending_approval: request } : {};
        },
      },
    });
  }
}
