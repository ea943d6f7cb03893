import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsNotEmpty,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateBy,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

/** A thread of the agent: one of its conversations, or `default` (its own). */
export const THREAD_REF = /^(default|conv-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const THREAD_MESSAGE = {
  message: "conversation_id must be a conversation id ('conv-<uuid4>') or 'default' (the agent's own thread)",
};

/** The most messages one batch sends. */
export const MAX_BATCH = 100;

/** `POST /agents`: Letta's tutorial agent, whose persona and human become its memory blocks. */
export class CreateTutorialAgentDto {
  @ApiPropertyOptional({ description: 'The name to address the agent by (a random one if left out)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiProperty({ description: "The agent's persona: the `persona` memory block" })
  @IsString()
  persona: string;

  @ApiPropertyOptional({ description: 'What the agent knows of the user: the `human` memory block' })
  @IsOptional()
  @IsString()
  human?: string;

  @ApiProperty({
    example: 'gpt-4o-mini',
    description: "A model name ('gpt-4o-mini': the one configured provider serving it) or a handle",
  })
  @IsString()
  @IsNotEmpty()
  model: string;
}

/** `POST /agents/:agent/messages`: one user message. */
export class TutorialSendDto {
  @ApiProperty({ description: "The user's message" })
  @IsString()
  @IsNotEmpty()
  message: string;

  @ApiPropertyOptional({
    description: "A conversation of the agent, or 'default' (its own thread, the default)",
  })
  @IsOptional()
  @Matches(THREAD_REF, THREAD_MESSAGE)
  conversation_id?: string;

  @ApiPropertyOptional({ description: 'Answer newline-delimited JSON (application/x-ndjson) as it happens' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}

/** One batch item: a message, or `{message, conversation_id?}` as the send takes them. */
export type TutorialBatchItem = string | { message: string; conversation_id?: string };

const ITEM_FIELDS = new Set(['message', 'conversation_id']);

/** What is wrong with `messages[i]`, or null. */
export function batchItemProblem(item: unknown, i: number): string | null {
  const at = `messages[${i}]`;
  if (typeof item === 'string') return item.length ? null : `${at} must not be empty`;
  if (!item || typeof item !== 'object' || Array.isArray(item))
    return `${at} must be a string or an object {message, conversation_id?}`;
  const o = item as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !ITEM_FIELDS.has(k));
  if (unknown !== undefined)
    return `${at}.${unknown} is not a field of a batch message (message, conversation_id; a batch never streams)`;
  if (typeof o.message !== 'string' || !o.message) return `${at}.message must be a non-empty string`;
  if (
    o.conversation_id !== undefined &&
    (typeof o.conversation_id !== 'string' || !THREAD_REF.test(o.conversation_id))
  )
    return `${at}.${THREAD_MESSAGE.message}`;
  return null;
}

/** `POST /agents/:agent/batch`: messages sent one after another, in order. */
export class TutorialBatchDto {
  @ApiProperty({
    type: 'array',
    items: {
      oneOf: [
        { type: 'string' },
        {
          type: 'object',
          properties: { message: { type: 'string' }, conversation_id: { type: 'string' } },
          required: ['message'],
          additionalProperties: false,
        },
      ],
    },
    minItems: 1,
    maxItems: MAX_BATCH,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH)
  @ValidateBy({
    name: 'batchItems',
    validator: {
      validate: (items: unknown) => Array.isArray(items) && items.every((m, i) => !batchItemProblem(m, i)),
      defaultMessage: (args) =>
        Array.isArray(args?.value)
          ? args.value
              .map((m: unknown, i) => batchItemProblem(m, i))
              .filter((x): x is string => !!x)
              .join('; ')
          : 'messages must be a list of strings or {message, conversation_id?} objects',
    },
  })
  messages: TutorialBatchItem[];
}

/** `GET /agents`: pages of the organization's agents, optionally those of one name. */
export class ListTutorialAgentsQueryDto extends PickType(PageQueryDto, [
  'after',
  'before',
  'limit',
  'order',
] as const) {
  @ApiPropertyOptional({ description: 'Only agents of this name' }) @IsOptional() @IsString() name?: string;
}

/** A page of an agent's conversations, or of a thread's messages. */
export class TutorialPageQueryDto extends PickType(PageQueryDto, [
  'after',
  'before',
  'limit',
  'order',
] as const) {}
