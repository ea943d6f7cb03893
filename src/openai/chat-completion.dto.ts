import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
} from 'class-validator';

export class ChatMessageDto {
  @ApiProperty({ enum: ['system', 'developer', 'user', 'assistant', 'tool'] })
  @IsIn(['system', 'developer', 'user', 'assistant', 'tool'])
  role: string;
  /** A string, or content parts (`{type: "text", text}`). */
  @ApiPropertyOptional() @IsOptional() content?: unknown;
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional() @IsOptional() @IsArray() tool_calls?: unknown[];
  @ApiPropertyOptional() @IsOptional() @IsString() tool_call_id?: string;
  @ApiPropertyOptional() @IsOptional() refusal?: string | null;
}

export class StreamOptionsDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_usage?: boolean;
}

/**
 * OpenAI's chat completion request, as far as an agent can honour it: `model` names the agent,
 * the newest user message is what it is sent. Sampling settings belong to the agent's own model
 * config, so any other field is refused (422 naming it) rather than silently ignored.
 */
export class ChatCompletionRequestDto {
  @ApiProperty({ description: 'The agent id (agent-...)' })
  @IsString()
  @Matches(/^agent-[0-9a-f-]{36}$/i, { message: 'model must be an agent id (agent-<uuid>)' })
  model: string;
  @ApiProperty({ type: [ChatMessageDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream?: boolean | null;
  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto | null;
  @ApiPropertyOptional({ description: "The acting user's id; any other is refused (422)" })
  @IsOptional()
  @IsString()
  user?: string;
}
