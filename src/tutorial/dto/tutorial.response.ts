import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { applyDecorators, type Type } from '@nestjs/common';
import { Int, NStr, Str } from '../../common/api-response';
import {
  ApiMessageModels,
  LettaUsageStatistics,
  lettaMessageSchema,
  STOP_REASONS,
} from '../../messages/dto/letta-message.response';
import { NDJSON_TYPE } from '../../streaming/ndjson';

/** What a tutorial send answers: the reply's text beside the Letta messages and usage. */
export class TutorialReplyResponse {
  @Str({ description: "The assistant's reply: the text of its assistant messages, joined by blank lines" })
  content: string;
  @ApiProperty({ type: 'array', items: lettaMessageSchema(), description: 'The Letta messages of the run' })
  messages: unknown[];
  @ApiProperty({ type: LettaUsageStatistics }) usage: LettaUsageStatistics;
  @Str({ enum: STOP_REASONS }) stop_reason: string;
  @Str() run_id: string;
  @NStr({ description: "The conversation sent to; null for the agent's own thread" })
  conversation_id: string | null;
}

/** A line of a streamed reply: a piece of the assistant's reply. */
export class TutorialContentLine {
  @Str({ enum: ['content'] }) type: 'content';
  @Str() content: string;
  @Str({ description: 'The assistant message the piece belongs to' }) message_id: string;
  @Int() seq_id: number;
}

/** A line of a streamed reply: another Letta message of the run (reasoning, a tool call or return). */
export class TutorialMessageLine {
  @Str({ enum: ['message'] }) type: 'message';
  @ApiProperty(lettaMessageSchema()) message: Record<string, unknown>;
  @Int() seq_id: number;
}

/** A line of a streamed reply: the run failed (the `done` line follows). */
export class TutorialErrorLine {
  @Str({ enum: ['error'] }) type: 'error';
  @Str() detail: string;
  @Str() error_type: string;
  @Str() run_id: string;
}

/** The last line of a streamed reply. */
export class TutorialDoneLine {
  @Str({ enum: ['done'] }) type: 'done';
  @NStr({ description: 'One of the stop reasons; null when the stream ended without one' })
  stop_reason: string | null;
  @ApiProperty({
    anyOf: [{ $ref: getSchemaPath(LettaUsageStatistics) }, { type: 'null' }],
    description: 'null when the stream ended before the run reported it',
  })
  usage: LettaUsageStatistics | null;
  @Str() run_id: string;
  @NStr() conversation_id: string | null;
}

const LINES: [string, Type<unknown>][] = [
  ['content', TutorialContentLine],
  ['message', TutorialMessageLine],
  ['error', TutorialErrorLine],
  ['done', TutorialDoneLine],
];

export type TutorialLine = TutorialContentLine | TutorialMessageLine | TutorialErrorLine | TutorialDoneLine;

/**
 * The send route's answers: TutorialReplyResponse as JSON, or with `stream: true` one JSON
 * object per line (`application/x-ndjson`), discriminated by `type`.
 */
export const ApiTutorialReply = () =>
  applyDecorators(
    ApiMessageModels(),
    ApiExtraModels(TutorialReplyResponse, ...LINES.map(([, t]) => t)),
    ApiResponse({
      status: 200,
      description: 'The reply; newline-delimited JSON with stream: true',
      content: {
        'application/json': { schema: { $ref: getSchemaPath(TutorialReplyResponse) } },
        [NDJSON_TYPE]: {
          schema: {
            oneOf: LINES.map(([, t]) => ({ $ref: getSchemaPath(t) })),
            discriminator: {
              propertyName: 'type',
              mapping: Object.fromEntries(LINES.map(([k, t]) => [k, getSchemaPath(t)])),
            },
          },
        },
      },
    }),
  );
