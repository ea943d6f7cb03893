import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { MessageInput } from '@engram/agent-runtime';
import { InvalidInputError } from '../common/errors';
import { MAX_MESSAGE_CHARS, textLength } from '../common/limits';
import { MESSAGE_TYPES } from '../messages/dto/message-types';
import { RunRequest } from './run-request';

export { MESSAGE_TYPES };

/** Letta's ClientToolSchema: a tool the client executes itself. */
export class ClientToolDto {
  @ApiProperty() @IsString() @Matches(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/) name: string;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() description?:
    string | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown> | null;
}

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
  @ApiPropertyOptional({
    description: "Deprecated in Letta and never read there; only its default ('true') is accepted",
  })
  @IsOptional()
  @IsString()
  enable_thinking?: string;
  @ApiPropertyOptional({
    description: 'Stream an event_message and a summary_message when the context is compacted',
  })
  @IsOptional()
  @IsBoolean()
  include_compaction_messages?: boolean;
  @ApiPropertyOptional({ type: [ClientToolDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ClientToolDto)
  client_tools?: ClientToolDto[] | null;
  @ApiPropertyOptional({ type: [Object], description: 'Refused (422): Engram has no skills' })
  @IsOptional()
  @IsArray()
  client_skills?: unknown[] | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: "A model handle used for this request instead of the agent's",
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  override_model?: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Sent to the LLM instead of the compiled system prompt, for this request',
  })
  @IsOptional()
  @IsString()
  override_system?: string | null;
  @ApiPropertyOptional({ description: 'Non-streaming sends to OpenAI-compatible providers only' })
  @IsOptional()
  @IsBoolean()
  return_logprobs?: boolean;
  @ApiPropertyOptional({ description: 'Refused (422): needs SGLang native generation' })
  @IsOptional()
  @IsBoolean()
  return_token_ids?: boolean;
  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, maximum: 20 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  top_logprobs?: number | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'POSTed {run_id, status, completed_at, metadata} when the run ends',
  })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  callback_url?: string | null;
}

const ROLES = ['user', 'system', 'assistant'];

/** Which send route a request came in on: some fields only make sense on some of them. */
export type SendMode = 'sync' | 'stream' | 'async';

/**
 * The request fields Engram refuses, with why (a 422 naming the field, never a silent drop).
 * README "Sending messages" lists them.
 */
function refuseUnsupported(dto: SendMessageDto, mode: SendMode): void {
  if (dto.client_skills?.length)
    throw new InvalidInputError(
      'client_skills is not supported: Engram agents have no skills section to render them into',
      'unsupported_field',
    );
  if (dto.return_token_ids)
    throw new InvalidInputError(
      "return_token_ids is not supported: it needs SGLang's native /generate endpoint",
      'unsupported_field',
    );
  if (dto.enable_thinking !== undefined && !/^(true|1)$/i.test(dto.enable_thinking))
    throw new InvalidInputError(
      "enable_thinking: only 'true' is supported (Letta deprecated the field and never reads it); " +
        "reasoning follows the agent's llm_config (enable_reasoner, reasoning_effort)",
      'unsupported_field',
    );
  if (dto.top_logprobs !== undefined && dto.top_logprobs !== null && !dto.return_logprobs)
    throw new InvalidInputError('top_logprobs requires return_logprobs: true');
  if (dto.return_logprobs && mode !== 'sync')
    throw new InvalidInputError(
      'return_logprobs is only supported on the non-streaming POST /v1/agents/:agent_id/messages ' +
        '(the log probabilities come back in its LettaResponse)',
      'unsupported_field',
    );
}

/** Validates the message list beyond its JSON shape and turns the DTO into a RunRequest. */
export function toRunRequest(dto: SendMessageDto, mode: SendMode = 'sync'): RunRequest {
  refuseUnsupported(dto, mode);
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
    ...(dto.override_model ? { overrideModel: dto.override_model } : {}),
    ...(typeof dto.override_system === 'string' ? { overrideSystem: dto.override_system } : {}),
    ...(dto.client_tools?.length
      ? {
          clientTools: dto.client_tools.map((t) => ({
            name: t.name,
            description: t.description ?? null,
            parameters: t.parameters ?? null,
          })),
        }
      : {}),
    ...(dto.callback_url ? { callbackUrl: dto.callback_url } : {}),
    ...(dto.return_logprobs ? { logprobs: { topLogprobs: dto.top_logprobs ?? undefined } } : {}),
    ...(dto.include_compaction_messages ? { includeCompactionMessages: true } : {}),
  };
}
