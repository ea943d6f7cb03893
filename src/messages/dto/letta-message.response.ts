import { ApiProperty } from '@nestjs/swagger';
import { Date_, Obj, Str } from '../../common/api-response';

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
