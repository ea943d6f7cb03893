import { Injectable, OnModuleInit } from '@nestjs/common';
import { toLettaMessages } from '@engram/agent-runtime';
import { AgentExtensions } from '../agents/agent-extensions';
import { MessagesRepository } from './messages.repository';

/**
 * An agent's `pending_approval`: while its last run stopped on `requires_approval`, the approval
 * request message its context ends with (as Letta shows it); null otherwise.
 */
@Injectable()
export class PendingApprovalExtension implements OnModuleInit {
  constructor(
    private readonly extensions: AgentExtensions,
    private readonly messages: MessagesRepository,
  ) {}

  onModuleInit(): void {
    this.extensions.register({
      name: 'pending-approval',
      loadState: async (p, agentIds) => {
        const pending = await this.messages.pendingApprovals(p.organizationId, agentIds);
        const out = new Map<string, Record<string, unknown>>();
        for (const [agentId, message] of pending) {
          const request = toLettaMessages(message).find((m) => m.message_type === 'approval_request_message');
          if (request) out.set(agentId, { pending_approval: request });
        }
        return out;
      },
    });
  }
}
