import { ApiProperty } from '@nestjs/swagger';
import { Int, NObj, NStr, Str } from '../common/api-response';

export class ChatCompletionMessageResponse {
  @Str({ enum: ['assistant'] }) role: 'assistant';
  @NStr() content: string | null;
  @NStr() refusal: string | null;
}

export class ChatCompletionChoiceResponse {
  @Int() index: number;
  @ApiProperty({ type: ChatCompletionMessageResponse }) message: ChatCompletionMessageResponse;
  @Str({ enum: ['stop', 'length', 'content_filter'] }) finish_reason: string;
  @NObj() logprobs: Record<string, unknown> | null;
}

export class ChatCompletionUsageResponse {
  @Int() prompt_tokens: number;
  @Int() completion_tokens: number;
  @Int() total_tokens: number;
}

/** OpenAI's ChatCompletion (non-streaming); `stream: true` answers ChatCompletionChunk SSE. */
export class ChatCompletionResponse {
  @Str({ example: 'chatcmpl-run-…' }) id: string;
  @Str({ enum: ['chat.completion'] }) object: 'chat.completion';
  @Int({ description: 'Unix seconds' }) created: number;
  @Str({ description: 'The agent id the request named' }) model: string;
  @ApiProperty({ type: [ChatCompletionChoiceResponse] }) choices: ChatCompletionChoiceResponse[];
  @ApiProperty({ type: ChatCompletionUsageResponse }) usage: ChatCompletionUsageResponse;
}
