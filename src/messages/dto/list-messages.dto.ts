import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Equals, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { toArray, toBool } from '../../common/query-transforms';
import { MESSAGE_TYPES } from './message-types';

/** `default` (the agent's own thread) or a conversation id. */
export const CONVERSATION_OR_DEFAULT =
  /^(default|conv-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export class ListMessagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() use_assistant_message?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() assistant_message_tool_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() assistant_message_tool_kwarg?: string;
  @ApiPropertyOptional({ type: [String], enum: MESSAGE_TYPES })
  @IsOptional()
  @Transform(toArray)
  @IsIn(MESSAGE_TYPES, { each: true })
  include_return_message_types?: string[];
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() include_err?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() group_id?: string;
  @ApiPropertyOptional({ description: "A conversation's id, or 'default' for the agent's own thread" })
  @IsOptional()
  @Matches(CONVERSATION_OR_DEFAULT, { message: "conversation_id must be 'default' or a conv-<uuid4> id" })
  conversation_id?: string;
}

/** GET /v1/messages: the organization's messages, Letta's list_all_messages parameters. */
export class ListAllMessagesQueryDto extends PickType(PageQueryDto, [
  'after',
  'before',
  'limit',
  'order',
] as const) {
  @ApiPropertyOptional({ description: "A conversation's id, or 'default' for messages of no conversation" })
  @IsOptional()
  @Matches(CONVERSATION_OR_DEFAULT, { message: "conversation_id must be 'default' or a conv-<uuid4> id" })
  conversation_id?: string;
  @ApiPropertyOptional({ type: [String], enum: MESSAGE_TYPES })
  @IsOptional()
  @Transform(toArray)
  @IsIn(MESSAGE_TYPES, { each: true })
  include_return_message_types?: string[];
}

export class CancelDto {
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @IsString({ each: true }) run_ids?:
    string[] | null;
}

export class ResetDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() add_default_initial_messages?: boolean;
}

/**
 * Letta's CompactionRequest. Engram summarizes with the agent's own model and its own prompt,
 * so compaction settings are refused (422 naming the field) rather than silently ignored.
 */
export class SummarizeDto {
  @ApiPropertyOptional({ type: Object, nullable: true, description: 'Not supported: must be absent or null' })
  @IsOptional()
  @Equals(null, { message: "compaction_settings is not supported: Engram summarizes with the agent's model" })
  compaction_settings?: Record<string, unknown> | null;
}
