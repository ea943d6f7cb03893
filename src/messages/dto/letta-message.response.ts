import { ApiProperty } from '@nestjs/swagger';
import { Date_, Obj, Str } from '../../common/api-response';
import { MESSAGE_TYPES } from './message-types';

/** One Letta message (`user_message`, `assistant_message`, `tool_call_message`, ...). */
export class LettaMessageResponse {
  @Str() id: string;
  @Str({ enum: MESSAGE_TYPES })
  message_type: string;
  @Date_() date: string;
}

/** Letta's LettaResponse: what a send answers when it is not streamed. */
export class LettaResponseResponse {
  @ApiProperty({ type: [LettaMessageResponse] }) messages: LettaMessageResponse[];
  @Obj() stop_reason: Record<string, unknown>;
  @Obj() usage: Record<string, unknown>;
}
