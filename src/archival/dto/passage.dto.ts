import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { toArray, toBool, toInt } from '../../common/query-transforms';
import { MAX_QUERY_CHARS, MAX_TEXT_CHARS } from '../hybrid';
import type { PassageEntity } from '../passage.entity';

const MAX_TAGS = 100;

/** Fields a passage is created with, through an agent or an archive. */
export class PassageInputDto {
  @ApiProperty({ description: 'The text of the passage' })
  @IsString()
  @MaxLength(MAX_TEXT_CHARS)
  text: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  tags?: string[] | null;

  @ApiPropertyOptional({ description: 'ISO 8601 creation time (for imports)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  created_at?: string | null;
}

/** POST /v1/agents/:id/archival-memory (Letta's CreateArchivalMemory). */
export class CreateArchivalMemoryDto extends PassageInputDto {}

/** POST /v1/archives/:id/passages. */
export class CreateArchivePassageDto extends PassageInputDto {
  @ApiPropertyOptional() @IsOptional() @IsObject() metadata?: Record<string, unknown> | null;
}

/** POST /v1/archives/:id/passages/batch. */
export class CreateArchivePassagesDto {
  @ApiProperty({ type: [CreateArchivePassageDto] })
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => CreateArchivePassageDto)
  passages: CreateArchivePassageDto[];
}

/** GET /v1/agents/:id/archival-memory: Letta pages with `ascending` (default true); `order` also accepted. */
export class ListArchivalMemoryQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() before?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() after?: string;
  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
  @ApiPropertyOptional({ description: 'Text the passages must contain (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_QUERY_CHARS)
  search?: string;
  @ApiPropertyOptional({ default: true }) @IsOptional() @Transform(toBool) @IsBoolean() ascending?: boolean;
  @ApiPropertyOptional({ enum: ['asc', 'desc'] }) @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @ApiPropertyOptional({ enum: ['created_at'] }) @IsOptional() @IsIn(['created_at']) order_by?: 'created_at';
}

/** Filters shared by the agent search (query string) and /v1/passages/search (body). */
class TagFilterDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  tags?: string[] | null;

  @ApiPropertyOptional({ enum: ['any', 'all'], default: 'any' })
  @IsOptional()
  @IsIn(['any', 'all'], { message: "tag_match_mode must be 'any' or 'all'" })
  tag_match_mode?: 'any' | 'all';
}

/** GET /v1/agents/:id/archival-memory/search. */
export class SearchArchivalMemoryQueryDto extends TagFilterDto {
  @ApiProperty() @IsString() @MaxLength(MAX_QUERY_CHARS) query: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  top_k?: number;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() start_datetime?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() end_datetime?: string;
}

/** POST /v1/passages/search. */
export class PassageSearchDto extends TagFilterDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_QUERY_CHARS) query?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() agent_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() archive_id?: string | null;
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() start_date?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() end_date?: string | null;
}

/** Letta's `Passage`. The vector itself is not sent back (`embedding: null`); it is large and internal. */
export function toPassageDto(p: PassageEntity) {
  return {
    id: p.id,
    text: p.text,
    embedding: null,
    embedding_config: p.embeddingConfig,
    archive_id: p.archiveId,
    file_id: p.fileId,
    file_name: p.fileName,
    source_id: p.sourceId,
    tags: p.tags ?? [],
    metadata: p.metadata ?? {},
    is_deleted: false,
    organization_id: p.organizationId,
    created_by_id: p.createdById,
    last_updated_by_id: p.lastUpdatedById,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}
