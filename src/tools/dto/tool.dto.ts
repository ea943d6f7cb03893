import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { toBool } from '../../common/query-transforms';

export const SOURCE_TYPES = ['python', 'typescript', 'javascript'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** Letta's largest `return_char_limit` (1 MB of text). */
export const MAX_RETURN_CHAR_LIMIT = 1_000_000;
const MAX_SOURCE = 200_000;

/** Letta's PipRequirement / NpmRequirement. */
export class PackageRequirementDto {
  @ApiProperty() @IsString() @Length(1, 200) name: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) version?: string | null;
}

/** Fields a tool shares between create, upsert and update, as the Letta client sends them. */
class ToolFieldsDto {
  @ApiPropertyOptional() @IsOptional() @IsObject() args_json_schema?: Record<string, unknown> | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() default_requires_approval?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enable_parallel_execution?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() json_schema?: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: [PackageRequirementDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PackageRequirementDto)
  npm_requirements?: PackageRequirementDto[] | null;
  @ApiPropertyOptional({ type: [PackageRequirementDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PackageRequirementDto)
  pip_requirements?: PackageRequirementDto[] | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  tags?: string[] | null;
}

export class CreateToolDto extends ToolFieldsDto {
  @ApiProperty() @IsString() @Length(1, MAX_SOURCE) source_code: string;
  @ApiPropertyOptional({ enum: SOURCE_TYPES, default: 'python' })
  @IsOptional()
  @IsIn(SOURCE_TYPES)
  source_type?: SourceType;
  @ApiPropertyOptional({ default: 50_000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RETURN_CHAR_LIMIT)
  return_char_limit?: number;
}

export class UpdateToolDto extends ToolFieldsDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, MAX_SOURCE) source_code?: string | null;
  @ApiPropertyOptional({ enum: SOURCE_TYPES })
  @IsOptional()
  @IsIn(SOURCE_TYPES)
  source_type?: SourceType | null;
  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RETURN_CHAR_LIMIT)
  return_char_limit?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() metadata_?: Record<string, unknown> | null;
}

/** Repeated params or comma-separated values, as Letta accepts for its list filters. */
const toList = ({ value }: { value: unknown }) => {
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])).filter((v) => v !== '');
};

export class ListToolsQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toList)
  @IsString({ each: true })
  names?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toList)
  @IsString({ each: true })
  tool_ids?: string[];
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) search?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toList)
  @IsString({ each: true })
  tool_types?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toList)
  @IsString({ each: true })
  exclude_tool_types?: string[];
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() return_only_letta_tools?: boolean;
}

/** Letta's ToolSearchRequest. */
export class SearchToolsDto {
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @IsInt() @Min(1) @Max(1000) limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) query?: string | null;
  @ApiPropertyOptional({ enum: ['vector', 'fts', 'hybrid'] })
  @IsOptional()
  @IsIn(['vector', 'fts', 'hybrid'])
  search_mode?: 'vector' | 'fts' | 'hybrid';
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @IsString({ each: true }) tags?:
    string[] | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tool_types?: string[] | null;
}

/** Letta's ToolExecuteRequest (body of `POST /v1/agents/:id/tools/:name/run`). */
export class RunToolDto {
  @ApiPropertyOptional() @IsOptional() @IsObject() args?: Record<string, unknown>;
}

/** Body of `PATCH /v1/agents/:id/tools/approval/:tool_name`. */
export class ToolApprovalDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() requires_approval?: boolean;
  /** What @letta-ai/letta-client 1.x puts on the wire (its `body_requires_approval` param, unrenamed). */
  @ApiPropertyOptional() @IsOptional() @IsBoolean() body_requires_approval?: boolean;
}

export class ToolApprovalQueryDto {
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() requires_approval?: boolean;
}
