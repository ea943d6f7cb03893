import { ApiProperty } from '@nestjs/swagger';
import { Bool, Date_, Int, NDate, NInt, NObj, NStr, Obj, Str, StrArr } from '../../common/api-response';

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

/** One Letta message (`user_message`, `assistant_message`, `tool_call_message`, ...). */
export class LettaMessageResponse {
  @Str() id: string;
  @Str({
    enum: [
      'system_message',
      'user_message',
      'assistant_message',
      'reasoning_message',
      'hidden_reasoning_message',
      'tool_call_message',
      'tool_return_message',
      'approval_request_message',
      'approval_response_message',
      'summary_message',
      'event_message',
    ],
  })
  message_type: string;
  @Date_() date: string;
}

/** Letta's LettaResponse: what a send answers when it is not streamed. */
export class LettaResponseResponse {
  @ApiProperty({ type: [LettaMessageResponse] }) messages: LettaMessageResponse[];
  @Obj() stop_reason: Record<string, unknown>;
  @Obj() usage: Record<string, unknown>;
}

/** Letta's CompactionResponse. */
export class CompactionResponse {
  @Str() summary: string;
  @Int() num_messages_before: number;
  @Int() num_messages_after: number;
}
