import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  Equals,
  IsBoolean,
  IsDateString,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { toArray, toBool, toInt } from '../../common/query-transforms';
import { MESSAGE_TYPES } from '../../messages/dto/message-types';
import { SendMessageDto } from '../../runs/send-message.dto';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const AGENT_ID = new RegExp(`^agent-${UUID}$`, 'i');
const MESSAGE_ID = new RegExp(`^message-${UUID}$`, 'i');
const agentIdMessage = { message: 'agent_id must be an agent-<uuid4> id' };

/**
 * Letta's per-conversation `model_settings` (temperature, reasoning, ...) need the provider
 * settings layer Engram does not have per conversation: refused rather than dropped. The model
 * handle itself (`model`) and `context_window_limit` are honoured.
 */
const NO_MODEL_SETTINGS = {
  message: 'model_settings is not supported per conversation: set `model`, or change the agent',
};

export class CreateConversationQueryDto {
  @ApiPropertyOptional({ description: 'The agent to create the conversation for (required)' })
  @Matches(AGENT_ID, agentIdMessage)
  agent_id: string;
}

export class CreateConversationDto {
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(100_000) summary?:
    string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(100_000) description?:
    string | null;
  @ApiPropertyOptional({
    nullable: true,
    description: "A model handle (provider/model) replacing the agent's",
  })
  @IsOptional()
  @IsString()
  model?: string | null;
  @ApiPropertyOptional({ type: Object, nullable: true, description: 'Not supported: must be absent or null' })
  @IsOptional()
  @Equals(null, NO_MODEL_SETTINGS)
  model_settings?: null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsInt() @Min(1) context_window_limit?:
    number | null;
  @ApiPropertyOptional({ description: 'Hidden conversations are left out of lists' })
  @IsOptional()
  @IsBoolean()
  hidden?: boolean;
}

export class UpdateConversationDto extends PickType(CreateConversationDto, [
  'summary',
  'description',
  'model',
  'model_settings',
  'context_window_limit',
] as const) {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() archived?: boolean;
  @ApiPropertyOptional({ nullable: true, format: 'date-time' })
  @IsOptional()
  @IsDateString()
  last_message_at?: string | null;
}

export class ListConversationsQueryDto extends PickType(PageQueryDto, [
  'after',
  'before',
  'limit',
  'order',
] as const) {
  @ApiPropertyOptional() @IsOptional() @Matches(AGENT_ID, agentIdMessage) agent_id?: string;
  @ApiPropertyOptional({ enum: ['unarchived', 'archived', 'all'], default: 'unarchived' })
  @IsOptional()
  @IsIn(['unarchived', 'archived', 'all'])
  archive_status?: 'unarchived' | 'archived' | 'all';
  @ApiPropertyOptional({
    enum: ['created_at', 'last_run_completion', 'last_message_at'],
    default: 'created_at',
  })
  @IsOptional()
  @IsIn(['created_at', 'last_run_completion', 'last_message_at'])
  order_by?: 'created_at' | 'last_run_completion' | 'last_message_at';
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) summary_search?: string;
}

/** `agent_id` of Letta's agent-direct mode (conversation id `default`). */
export class AgentDirectQueryDto {
  @ApiPropertyOptional({ description: "With conversation id 'default': the agent whose own thread is meant" })
  @IsOptional()
  @Matches(AGENT_ID, agentIdMessage)
  agent_id?: string;
}

export class ForkConversationQueryDto extends AgentDirectQueryDto {
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() hidden?: boolean;
  @ApiPropertyOptional({ description: 'Fork the in-context messages up to and including this one' })
  @IsOptional()
  @Matches(MESSAGE_ID, { message: 'message_id must be a message-<uuid4> id' })
  message_id?: string;
}

export class RecompileConversationQueryDto {
  @ApiPropertyOptional({ default: false }) @IsOptional() @Transform(toBool) @IsBoolean() dry_run?: boolean;
}

/** Letta's CompactionRequest of the conversation routes (recompile and compact take it). */
export class ConversationCompactionDto {
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @Matches(AGENT_ID, agentIdMessage)
  agent_id?: string | null;
  @ApiPropertyOptional({ type: Object, nullable: true, description: 'Not supported: must be absent or null' })
  @IsOptional()
  @Equals(null, { message: "compaction_settings is not supported: Engram summarizes with the agent's model" })
  compaction_settings?: Record<string, unknown> | null;
}

export class ConversationMessagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @Matches(AGENT_ID, agentIdMessage) agent_id?: string;
  @ApiPropertyOptional({ description: 'Engram has no multi-agent groups: a group id matches no message' })
  @IsOptional()
  @IsString()
  group_id?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() include_err?: boolean;
  @ApiPropertyOptional({ type: [String], enum: MESSAGE_TYPES })
  @IsOptional()
  @Transform(toArray)
  @IsIn(MESSAGE_TYPES, { each: true })
  include_return_message_types?: string[];
}

/** Letta's ConversationMessageRequest: a send, streamed unless `streaming` is false. */
export class ConversationMessageDto extends SendMessageDto {
  @ApiPropertyOptional({
    nullable: true,
    description: "With conversation id 'default': the agent to send to",
  })
  @IsOptional()
  @Matches(AGENT_ID, agentIdMessage)
  agent_id?: string | null;
}

/** Letta's RetrieveStreamRequest. */
export class ConversationStreamDto {
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @Matches(AGENT_ID, agentIdMessage) agent_id?:
    string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() run_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() otid?: string | null;
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @IsInt() @Min(0) starting_after?: number;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsBoolean() include_pings?: boolean | null;
  @ApiPropertyOptional({
    nullable: true,
    description: "Letta's Redis polling knob; Engram pushes events, so there is nothing to poll",
  })
  @IsOptional()
  @IsNumber()
  @Min(0)
  poll_interval?: number | null;
  @ApiPropertyOptional({
    nullable: true,
    description: "Letta's Redis read batch; Engram pushes events one by one",
  })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  batch_size?: number | null;
}
