import { ApiProperty } from '@nestjs/swagger';
import { Bool, Date_, Int, NDate, NStr, Obj, Str } from '../../common/api-response';

export class ScheduleCreatedResponse {
  @Str({ example: 'scheduled_message-…' }) id: string;
  @Date_({ description: 'The first firing' }) next_scheduled_at: string;
}

export class ScheduleSpecResponse {
  @Str({ enum: ['one-time', 'recurring'] }) type: 'one-time' | 'recurring';
  @Int({ required: false, description: 'one-time: epoch milliseconds' }) scheduled_at?: number;
  @Str({ required: false, description: 'recurring: cron expression, UTC' }) cron_expression?: string;
}

/** Letta's ScheduledMessage, plus when it last fired and the run that firing started. */
export class ScheduledMessageResponse {
  @Str({ example: 'scheduled_message-…' }) id: string;
  @Str() agent_id: string;
  @Obj({ description: 'messages, max_steps, include_return_message_types' }) message: Record<string, unknown>;
  @NDate({ description: 'null once a one-time message has fired' }) next_scheduled_time: string | null;
  @ApiProperty({ type: ScheduleSpecResponse }) schedule: ScheduleSpecResponse;
  @NDate() last_fired_at: string | null;
  @NStr() last_run_id: string | null;
  @Date_() created_at: string;
}

export class ScheduleListResponse {
  @ApiProperty({ type: [ScheduledMessageResponse] }) scheduled_messages: ScheduledMessageResponse[];
  @Bool() has_next_page: boolean;
}

export class ScheduleDeletedResponse {
  @Bool({ enum: [true] }) success: true;
}
