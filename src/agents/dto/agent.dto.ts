import { INT32_MAX } from '../../common/limits';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import type { AgentRelation } from '../agent-extensions';
import { toArray, toBool } from '../../common/query-transforms';
import { CreateBlockDto } from '../../memory/dto/block.dto';
import { IsToolRules } from '../../tools/dto/tool-rules.validator';

/** The agent types whose loop Engram runs (libs/agent-runtime); Letta's others are refused by name. */
export const AGENT_TYPES = ['letta_v1_agent', 'memgpt_v2_agent', 'memgpt_agent'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

export const HANDLE = /^[A-Za-z0-9_.-]+\/.+$/;
export const HANDLE_MESSAGE = "must be a handle of the form 'provider/model', e.g. 'openai/gpt-4o-mini'";

/** Fields shared by create and update, as the Letta client sends them. */
class AgentFieldsDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200_000) system?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() metadata?: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  tags?: string[] | null;
  @ApiPropertyOptional({ example: 'openai/gpt-4o-mini' })
  @IsOptional()
  @IsString()
  @Matches(HANDLE, { message: `model ${HANDLE_MESSAGE}` })
  model?: string | null;
  @ApiPropertyOptional({ example: 'local/hash-embedding-v1' })
  @IsOptional()
  @IsString()
  @Matches(HANDLE, { message: `embedding ${HANDLE_MESSAGE}` })
  embedding?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() llm_config?: Record<string, unknown> | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() embedding_config?: Record<string, unknown> | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() model_settings?: Record<string, unknown> | null;
  @ApiPropertyOptional() @IsOptional() @IsArray() @IsObject({ each: true }) @IsToolRules() tool_rules?:
    Record<string, unknown>[] | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() response_format?: Record<string, unknown> | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() compaction_settings?: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  block_ids?: string[] | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tool_ids?: string[] | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  source_ids?: string[] | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  folder_ids?: string[] | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  identity_ids?: string[] | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(10_000_000) context_window_limit?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(INT32_MAX) max_tokens?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() message_buffer_autoclear?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsString() timezone?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(INT32_MAX) max_files_open?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(INT32_MAX) per_file_view_window_char_limit?:
    number | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() hidden?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsString() project_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() template_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() base_template_id?: string | null;
  @ApiPropertyOptional({ description: 'Sleep-time agents are not supported: only false is accepted' })
  @IsOptional()
  @Equals(false, {
    message: 'enable_sleeptime: sleep-time agents are not supported; send false or leave it out',
  })
  enable_sleeptime?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() parallel_tool_calls?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() reasoning?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() secrets?: Record<string, string> | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() tool_exec_environment_variables?: Record<
    string,
    string
  > | null;
}

export class CreateAgentDto extends AgentFieldsDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional({ enum: AGENT_TYPES, default: 'letta_v1_agent' })
  @IsOptional()
  @IsIn(AGENT_TYPES, {
    message: `agent_type must be one of ${AGENT_TYPES.join(', ')} (the agent types Engram runs)`,
  })
  agent_type?: AgentType;
  @ApiPropertyOptional({ type: [CreateBlockDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => CreateBlockDto)
  memory_blocks?: CreateBlockDto[] | null;
  @ApiPropertyOptional({ type: [String], description: 'Tool names to attach' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tools?: string[] | null;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() include_base_tools?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_base_tool_rules?: boolean | null;
  @ApiPropertyOptional({ description: 'Only false: Engram creates no default source' })
  @IsOptional()
  @Equals(false, {
    message: 'include_default_source: Engram creates no default source; send false or leave it out',
  })
  include_default_source?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsArray() @IsObject({ each: true }) initial_message_sequence?:
    Record<string, unknown>[] | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(INT32_MAX) embedding_chunk_size?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enable_reasoner?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(INT32_MAX) max_reasoning_tokens?: number | null;
  @ApiPropertyOptional({ description: 'Not supported (templates are Letta Cloud)' })
  @IsOptional()
  @Equals(null, { message: 'memory_variables: agent templates are not supported' })
  memory_variables?: Record<string, string> | null;
  @ApiPropertyOptional({ description: 'Not supported: set project_id' })
  @IsOptional()
  @Equals(null, { message: 'project: project slugs are not supported; set project_id' })
  project?: string | null;
  @ApiPropertyOptional({ description: 'Only false (Letta no longer uses it)' })
  @IsOptional()
  @Equals(false, { message: 'template: agent templates are not supported; send false or leave it out' })
  template?: boolean;
  @ApiPropertyOptional({ description: 'Not supported (templates are Letta Cloud)' })
  @IsOptional()
  @Equals(null, { message: 'from_template: agent templates are not supported' })
  from_template?: string | null;
}

export class UpdateAgentDto extends AgentFieldsDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) name?: string | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  message_ids?: string[] | null;
  @ApiPropertyOptional() @IsOptional() @IsString() last_run_completion?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(INT32_MAX) last_run_duration_ms?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsString() last_stop_reason?: string | null;
}

export const INCLUDES = [
  'agent.blocks',
  'agent.identities',
  'agent.managed_group',
  'agent.pending_approval',
  'agent.secrets',
  'agent.sources',
  'agent.tags',
  'agent.tools',
];

/** Letta's (deprecated) `include_relationships` names, and the relation each loads. */
const RELATIONSHIP_NAMES: Record<string, AgentRelation | null> = {
  memory: 'blocks',
  blocks: 'blocks',
  tags: 'tags',
  tools: 'tools',
  sources: 'sources',
  identities: 'identities',
  identity_ids: 'identities',
  secrets: 'secrets',
  tool_exec_environment_variables: 'secrets',
  multi_agent_group: null,
  managed_group: null,
  pending_approval: null,
};

export const ALL_RELATIONS: ReadonlySet<AgentRelation> = new Set<AgentRelation>([
  'blocks',
  'tags',
  'tools',
  'sources',
  'identities',
  'secrets',
]);

/**
 * What an agent read loads, as Letta decides it: a non-empty `include` ('agent.tools', ...)
 * wins; otherwise `include_relationships` ('tools', 'memory', ...); with neither, everything.
 */
export function relationsOf(q: {
  include?: string[];
  include_relationships?: string[];
}): ReadonlySet<AgentRelation> {
  const names = q.include?.length ? q.include.map((i) => i.replace(/^agent\./, '')) : q.include_relationships;
  if (names === undefined) return ALL_RELATIONS;
  return new Set(names.flatMap((n) => RELATIONSHIP_NAMES[n] ?? []));
}

export class AgentIncludeQueryDto {
  @ApiPropertyOptional({ type: [String], enum: INCLUDES })
  @IsOptional()
  @Transform(toArray)
  @IsIn(INCLUDES, { each: true })
  include?: string[];
  @ApiPropertyOptional({ type: [String], enum: Object.keys(RELATIONSHIP_NAMES) })
  @IsOptional()
  @Transform(toArray)
  @IsIn(Object.keys(RELATIONSHIP_NAMES), { each: true })
  include_relationships?: string[];
}

export class ListAgentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toArray)
  @IsString({ each: true })
  tags?: string[];
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() match_all_tags?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() query_text?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() project_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() template_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() base_template_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() created_by_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() last_stop_reason?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() identity_id?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toArray)
  @IsString({ each: true })
  identifier_keys?: string[];
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() ascending?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsIn(['created_at']) sort_by?: string;
  @ApiPropertyOptional({ type: [String], enum: INCLUDES })
  @IsOptional()
  @Transform(toArray)
  @IsIn(INCLUDES, { each: true })
  include?: string[];
  @ApiPropertyOptional({ type: [String], enum: Object.keys(RELATIONSHIP_NAMES) })
  @IsOptional()
  @Transform(toArray)
  @IsIn(Object.keys(RELATIONSHIP_NAMES), { each: true })
  include_relationships?: string[];
}

export class ListTagsQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() after?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() before?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() query_text?: string;
  @ApiPropertyOptional({ enum: ['asc', 'desc'] }) @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @ApiPropertyOptional({ enum: ['name'] }) @IsOptional() @IsIn(['name']) order_by?: 'name';
}
