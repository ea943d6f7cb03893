import { Bool, Date_, NDate, NInt, NObj, NStr, Str, StrArr } from '../../common/api-response';

export { CompactionResponse, LettaResponse } from '../../messages/dto/letta-message.response';

/** Letta's Conversation. */
export class ConversationResponse {
  @Str({ example: 'conv-…' }) id: string;
  @Str() agent_id: string;
  @NStr() summary: string | null;
  @NStr() description: string | null;
  @NStr() model: string | null;
  @NObj() model_settings: Record<string, unknown> | null;
  @NInt() context_window_limit: number | null;
  @StrArr() in_context_message_ids: string[];
  @StrArr() isolated_block_ids: string[];
  @Bool() archived: boolean;
  @NDate() archived_at: string | null;
  @NDate() last_message_at: string | null;
  @NStr() created_by_id: string | null;
  @NStr() last_updated_by_id: string | null;
  @Date_() created_at: string;
  @Date_() updated_at: string;
}
