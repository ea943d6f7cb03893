import { ConversationEntity } from '../messages/conversation.entity';

/** Letta's Conversation. Engram has no conversation-isolated blocks: every block is the agent's. */
export function toConversationDto(c: ConversationEntity) {
  return {
    id: c.id,
    agent_id: c.agentId,
    summary: c.summary,
    description: c.description,
    model: c.model,
    model_settings: null,
    context_window_limit: c.contextWindowLimit,
    in_context_message_ids: c.inContextMessageIds,
    isolated_block_ids: [],
    archived: c.archived,
    archived_at: c.archivedAt?.toISOString() ?? null,
    last_message_at: c.lastMessageAt?.toISOString() ?? null,
    created_by_id: c.createdById,
    last_updated_by_id: c.lastUpdatedById,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
