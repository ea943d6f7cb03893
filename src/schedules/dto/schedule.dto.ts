import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { MESSAGE_TYPES } from '../../messages/dto/message-types';

/** Letta's CreateScheduledMessage: the messages to send, and when. */
export class CreateScheduleDto {
  @ApiProperty({ type: [Object], description: 'The messages the agent receives at each firing' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsObject({ each: true })
  messages: Record<string, unknown>[];

  @ApiProperty({
    description:
      "`{type: 'one-time', scheduled_at: <epoch ms>}` or `{type: 'recurring', cron_expression: '<5-field cron, UTC>'}`",
  })
  @IsObject()
  schedule: Record<string, unknown>;

  @ApiPropertyOptional({ default: 50 }) @IsOptional() @IsInt() @Min(1) @Max(1000) max_steps?: number;

  @ApiPropertyOptional({ type: [String], enum: MESSAGE_TYPES })
  @IsOptional()
  @IsArray()
  @IsIn(MESSAGE_TYPES, { each: true })
  include_return_message_types?: string[];

  @ApiPropertyOptional({ description: 'Not supported yet: refused with a 422' })
  @IsOptional()
  @IsString()
  callback_url?: string;
}

/** A page of an agent's scheduled messages: `after` an id, up to `limit`. */
export class ListSchedulesQueryDto extends PickType(PageQueryDto, ['after', 'limit'] as const) {}
