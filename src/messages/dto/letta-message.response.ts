import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  ApiOkSchema,
  Date_,
  Int,
  NBool,
  NInt,
  NStr,
  NStrArr,
  Num,
  Obj,
  Str,
} from '../../common/api-response';

/*
 * Letta's message union (the client's `Message` and `LettaStreamingResponse`, in
 * @letta-ai/letta-client resources/agents/messages.d.ts and tools.d.ts), as response DTOs.
 * A field the client marks optional is required here when Engram always writes it (as null
 * when it has no value), so a chunk or message that leaves it out fails the contract check.
 */

/** Letta's StopReasonType. */
export const STOP_REASONS = [
  'end_turn',
  'error',
  'llm_api_error',
  'invalid_llm_response',
  'invalid_tool_call',
  'max_steps',
  'max_tokens_exceeded',
  'no_tool_call',
  'tool_rule',
  'cancelled',
  'insufficient_credits',
  'requires_approval',
  'context_window_overflow_in_system_prompt',
];

const ref = (t: Type<unknown>) => ({ $ref: getSchemaPath(t) });
const orNull = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const tag = (type: string) => Str({ enum: [type], description: 'The type of the message.' });

export class ToolCall {
  @Str() name: string;
  @Str() arguments: string;
  @Str() tool_call_id: string;
}

/** A tool call as it streams: any part may still be missing. */
export class ToolCallDelta {
  @ApiPropertyOptional({ type: String, nullable: true }) name?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) arguments?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) tool_call_id?: string | null;
}

export class TextContent {
  @Str({ enum: ['text'] }) type: 'text';
  @Str() text: string;
  @ApiPropertyOptional({ type: String, nullable: true }) signature?: string | null;
}

export class ImageContent {
  @Str({ enum: ['image'] }) type: 'image';
  @Obj({ description: 'url, base64 or letta image source' }) source: Record<string, unknown>;
}

const userContent = () => ({
  anyOf: [
    { type: 'string' },
    {
      type: 'array',
      items: { oneOf: [ref(TextContent), ref(ImageContent)] },
    },
  ],
});

export class ToolReturn {
  @Str({ enum: ['tool'] }) type: 'tool';
  @Str() tool_call_id: string;
  @Str({ enum: ['success', 'error'] }) status: 'success' | 'error';
  @ApiProperty(userContent()) tool_return: unknown;
  @NStrArr() stdout: string[] | null;
  @NStrArr() stderr: string[] | null;
}

export class ApprovalReturn {
  @Str({ enum: ['approval'] }) type: 'approval';
  @Str() tool_call_id: string;
  @ApiProperty({ type: Boolean }) approve: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) reason?: string | null;
}

export class CompactionStats {
  @Str() trigger: string;
  @Int() context_window: number;
  @Int() messages_count_before: number;
  @Int() messages_count_after: number;
  @ApiPropertyOptional({ type: 'integer', nullable: true }) context_tokens_before?: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true }) context_tokens_after?: number | null;
}

/** The fields every Letta message carries. */
abstract class LettaMessageBase {
  @Str() id: string;
  @Date_() date: string;
  @NStr() name: string | null;
  @NStr({ description: 'The offline threading id' }) otid: string | null;
  @NStr() sender_id: string | null;
  @NStr() step_id: string | null;
  @NStr() run_id: string | null;
  @NBool() is_err: boolean | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Its place in the run stream' })
  seq_id?: number | null;
}

export class SystemMessage extends LettaMessageBase {
  @tag('system_message') message_type: 'system_message';
  @Str() content: string;
}

export class UserMessage extends LettaMessageBase {
  @tag('user_message') message_type: 'user_message';
  @ApiProperty(userContent()) content: string | (TextContent | ImageContent)[];
}

export class ReasoningMessage extends LettaMessageBase {
  @tag('reasoning_message') message_type: 'reasoning_message';
  @Str() reasoning: string;
  @ApiPropertyOptional({ type: String, enum: ['reasoner_model', 'non_reasoner_model'] }) source?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) signature?: string | null;
}

export class HiddenReasoningMessage extends LettaMessageBase {
  @tag('hidden_reasoning_message') message_type: 'hidden_reasoning_message';
  @Str({ enum: ['redacted', 'omitted'] }) state: 'redacted' | 'omitted';
  @ApiPropertyOptional({ type: String, nullable: true }) hidden_reasoning?: string | null;
}

const toolCallSchema = () => ({ anyOf: [ref(ToolCall), ref(ToolCallDelta)], deprecated: true });
const toolCallsSchema = () => ({
  anyOf: [{ type: 'array', items: ref(ToolCall) }, ref(ToolCallDelta), { type: 'null' }],
});

export class ToolCallMessage extends LettaMessageBase {
  @tag('tool_call_message') message_type: 'tool_call_message';
  @ApiProperty(toolCallSchema()) tool_call: ToolCall | ToolCallDelta;
  @ApiPropertyOptional(toolCallsSchema()) tool_calls?: ToolCall[] | ToolCallDelta | null;
}

export class ToolReturnMessage extends LettaMessageBase {
  @tag('tool_return_message') message_type: 'tool_return_message';
  @Str() tool_return: string;
  @Str({ enum: ['success', 'error'] }) status: 'success' | 'error';
  @Str() tool_call_id: string;
  @NStrArr() stdout: string[] | null;
  @NStrArr() stderr: string[] | null;
  @ApiProperty(orNull({ type: 'array', items: ref(ToolReturn) })) tool_returns: ToolReturn[] | null;
}

export class AssistantMessage extends LettaMessageBase {
  @tag('assistant_message') message_type: 'assistant_message';
  @ApiProperty({ anyOf: [{ type: 'string' }, { type: 'array', items: ref(TextContent) }] })
  content: string | TextContent[];
}

export class ApprovalRequestMessage extends LettaMessageBase {
  @tag('approval_request_message') message_type: 'approval_request_message';
  @ApiProperty(toolCallSchema()) tool_call: ToolCall | ToolCallDelta;
  @ApiProperty(toolCallsSchema()) tool_calls: ToolCall[] | ToolCallDelta | null;
}

export class ApprovalResponseMessage extends LettaMessageBase {
  @tag('approval_response_message') message_type: 'approval_response_message';
  @ApiProperty(orNull({ type: 'array', items: { oneOf: [ref(ApprovalReturn), ref(ToolReturn)] } }))
  approvals: (ApprovalReturn | ToolReturn)[] | null;
  @NBool({ deprecated: true }) approve: boolean | null;
  @NStr({ deprecated: true, description: 'The approval request message id' })
  approval_request_id: string | null;
  @NStr({ deprecated: true }) reason: string | null;
}

export class SummaryMessage extends LettaMessageBase {
  @tag('summary_message') message_type: 'summary_message';
  @Str() summary: string;
  @ApiPropertyOptional(orNull(ref(CompactionStats))) compaction_stats?: CompactionStats | null;
}

/** A notice that something happened (a compaction); not part of the context window. */
export class EventMessage extends LettaMessageBase {
  @tag('event_message') message_type: 'event_message';
  @Str({ enum: ['compaction'] }) event_type: 'compaction';
  @Obj() event_data: Record<string, unknown>;
}

/** The keep-alive of a stream (`include_pings`). */
export class LettaPing {
  @tag('ping') message_type: 'ping';
  @Str() id: string;
  @Date_() date: string;
}

export class LettaErrorMessage {
  @tag('error_message') message_type: 'error_message';
  @Str() run_id: string;
  @Str() error_type: string;
  @Str() message: string;
  @ApiPropertyOptional({ type: String }) detail?: string;
  @ApiPropertyOptional({ type: 'integer' }) seq_id?: number;
}

export class LettaStopReason {
  @tag('stop_reason') message_type: 'stop_reason';
  @Str({ enum: STOP_REASONS }) stop_reason: string;
}

export class LettaUsageStatistics {
  @tag('usage_statistics') message_type: 'usage_statistics';
  @Int() completion_tokens: number;
  @Int() prompt_tokens: number;
  @Int() total_tokens: number;
  @Int() step_count: number;
  @NStrArr() run_ids: string[] | null;
  @NInt() cached_input_tokens: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true }) cache_write_tokens?: number | null;
  @NInt() reasoning_tokens: number | null;
  @NInt() context_tokens: number | null;
}

export class TopLogprob {
  @Str() token: string;
  @Num() logprob: number;
  @ApiPropertyOptional({ type: 'array', items: { type: 'integer' }, nullable: true }) bytes?: number[] | null;
}

export class TokenLogprob {
  @Str() token: string;
  @Num() logprob: number;
  @ApiPropertyOptional({ type: 'array', items: { type: 'integer' }, nullable: true }) bytes?: number[] | null;
  @ApiProperty({ type: [TopLogprob] }) top_logprobs: TopLogprob[];
}

/** The last LLM call's log probabilities (OpenAI's ChoiceLogprobs). */
export class ChoiceLogprobs {
  @ApiPropertyOptional(orNull({ type: 'array', items: ref(TokenLogprob) })) content?: TokenLogprob[] | null;
  @ApiPropertyOptional(orNull({ type: 'array', items: ref(TokenLogprob) })) refusal?: TokenLogprob[] | null;
}

/** [message_type, class] of each Letta message a list or a LettaResponse may hold. */
const MESSAGES: [string, Type<unknown>][] = [
  ['system_message', SystemMessage],
  ['user_message', UserMessage],
  ['reasoning_message', ReasoningMessage],
  ['hidden_reasoning_message', HiddenReasoningMessage],
  ['tool_call_message', ToolCallMessage],
  ['tool_return_message', ToolReturnMessage],
  ['assistant_message', AssistantMessage],
  ['approval_request_message', ApprovalRequestMessage],
  ['approval_response_message', ApprovalResponseMessage],
  ['summary_message', SummaryMessage],
  ['event_message', EventMessage],
];

/**
 * Stream chunks: LettaStreamingResponse's members, plus the summary_message and event_message a
 * compaction sends mid-run with `include_compaction_messages` (as Letta's server does; the
 * client's union leaves them out).
 */
const CHUNKS: [string, Type<unknown>][] = [
  ...MESSAGES,
  ['ping', LettaPing],
  ['error_message', LettaErrorMessage],
  ['stop_reason', LettaStopReason],
  ['usage_statistics', LettaUsageStatistics],
];

const NESTED = [
  ToolCall,
  ToolCallDelta,
  TextContent,
  ImageContent,
  ToolReturn,
  ApprovalReturn,
  CompactionStats,
  TopLogprob,
  TokenLogprob,
  ChoiceLogprobs,
];

const union = (members: [string, Type<unknown>][]) => ({
  oneOf: members.map(([, t]) => ref(t)),
  discriminator: {
    propertyName: 'message_type',
    mapping: Object.fromEntries(members.map(([type, t]) => [type, getSchemaPath(t)])),
  },
});

/** LettaMessageUnion: one message, discriminated by `message_type`. */
export const lettaMessageSchema = () => union(MESSAGES);
/** LettaStreamingResponse: one `data:` chunk of a stream, discriminated by `message_type`. */
export const streamChunkSchema = () => union(CHUNKS);

/** Registers the message and chunk schemas the unions refer to (for a DTO that embeds them). */
export const ApiMessageModels = () => ApiExtraModels(...CHUNKS.map(([, t]) => t), ...NESTED);

/** Letta's LettaResponse: what a send answers when it is not streamed. */
export class LettaResponse {
  @ApiProperty({ type: 'array', items: lettaMessageSchema() }) messages: unknown[];
  @ApiProperty({ type: LettaStopReason }) stop_reason: LettaStopReason;
  @ApiProperty({ type: LettaUsageStatistics }) usage: LettaUsageStatistics;
  @ApiPropertyOptional({ ...orNull(ref(ChoiceLogprobs)), description: 'Only with return_logprobs' })
  logprobs?: ChoiceLogprobs | null;
}

/** Letta's CompactionResponse (summarize, compact). */
export class CompactionResponse {
  @Str() summary: string;
  @Int() num_messages_before: number;
  @Int() num_messages_after: number;
}

/** A route answering a bare JSON array of Letta messages. */
export const ApiOkMessages = (description?: string) =>
  applyDecorators(
    ApiMessageModels(),
    ApiOkSchema({ type: 'array', items: lettaMessageSchema() }, description),
  );

/**
 * A route answering Server-Sent Events: each `data:` line is one chunk of the streaming union
 * (the stream ends with `data: [DONE]`). `json` documents the JSON answer of a route that
 * streams only when asked (`streaming: true`).
 */
export const ApiSse = (json?: Type<unknown>, description = 'Server-Sent Events') =>
  applyDecorators(
    ApiMessageModels(),
    ApiExtraModels(...(json ? [json] : [])),
    ApiResponse({
      status: 200,
      description,
      content: {
        ...(json ? { 'application/json': { schema: ref(json) } } : {}),
        'text/event-stream': { schema: streamChunkSchema() },
      },
    }),
  );
