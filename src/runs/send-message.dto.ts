import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import type { MessageInput } from '@engram/agent-runtime';
import { InvalidInputError } from '../common/errors';
import { MAX_MESSAGE_CHARS, textLength } from '../common/limits';
import { MESSAGE_TYPES } from '../messages/dto/message-types';
import { RunRequest } from './run-request';

export { MESSAGE_TYPES };

/** Letta's LettaRequest / LettaStreamingRequest / LettaAsyncRequest: one DTO for all three. */
export class SendMessageDto {
  @ApiPropertyOptional({ type: [Object] })
  @IsOptional()
  @IsArray()
  @IsObject({ each: true })
  messages?: Record<string, unknown>[] | null;

  @ApiPropertyOptional({ description: 'Shorthand for one user message: a string or content parts' })
  @IsOptional()
  @ValidateIf((o: SendMessageDto) => typeof o.input !== 'string')
  @IsArray()
  input?: string | Record<string, unknown>[] | null;

  @ApiPropertyOptional({ default: 50 }) @IsOptional() @IsInt() @Min(1) @Max(1000) max_steps?: number;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() use_assistant_message?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() assistant_message_tool_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() assistant_message_tool_kwarg?: string;
  @ApiPropertyOptional({ type: [String], enum: MESSAGE_TYPES })
  @IsOptional()
  @IsArray()
  @IsIn(MESSAGE_TYPES, { each: true })
  include_return_message_types?: string[] | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() streaming?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream_tokens?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_pings?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() background?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() enable_thinking?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_compaction_messages?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsArray() client_tools?: unknown[] | null;
  @ApiPropertyOptional() @IsOptional() @IsArray() client_skills?: unknown[] | null;
  @ApiPropertyOptional() @IsOptional() @IsString() override_model?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() override_system?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() return_logprobs?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() return_token_ids?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsInt() top_logprobs?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsString() callback_url?: string | null;
}

const ROLES = ['user', 'system', 'assistant'];

/** Validates the message list beyond its JSON shape and turns the DTO into a RunRequest. */
export function toRunRequest(dto: SendMessageDto): RunRequest {
  const chars = textLength(dto.messages ?? dto.input);
  if (chars > MAX_MESSAGE_CHARS)
    throw new InvalidInputError(
      `messages: ${chars} characters of text, over the limit of ${MAX_MESSAGE_CHARS} per request`,
      'message_too_long',
    );
  let input: MessageInput[];
  if (dto.messages?.length) {
    dto.messages.forEach((m, i) => {
      if (m.type === 'approval') {
        if (!Array.isArray(m.approvals) && typeof m.approval_request_id !== 'string') {
          throw new InvalidInputError(`messages[${i}]: an approval message needs 'approvals'`);
        }
        return;
      }
      if (m.type === 'tool_return') return;
      if (!ROLES.includes(String(m.role))) {
        throw new InvalidInputError(`messages[${i}].role must be one of ${ROLES.join(', ')}`);
      }
      const c = m.content;
      const ok =
        (typeof c === 'string' && c.length > 0) ||
        (Array.isArray(c) && c.length > 0 && c.every((part) => typeof part === 'object' && part !== null));
      if (!ok)
        throw new InvalidInputError(`messages[${i}].content must be a non-empty string or content parts`);
    });
    input = dto.messages as unknown as MessageInput[];
  } else if (dto.input !== undefined && dto.input !== null && dto.input.length > 0) {
    input = [{ role: 'user', content: dto.input } as unknown as MessageInput];
  } else {
    throw new InvalidInputError("Provide 'messages' (a non-empty list) or 'input'");
  }
  return {
    input,
    maxSteps: dto.max_steps,
    useAssistantMessage: dto.use_assistant_message,
    assistantMessageToolName: dto.assistant_message_tool_name,
    assistantMessageToolKwarg: dto.assistant_message_tool_kwarg,
    includeReturnMessageTypes: dto.include_return_message_types,
    streamTokens: dto.stream_tokens,
    background: dto.background,
  };
}
