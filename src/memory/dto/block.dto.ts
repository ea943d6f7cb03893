import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  MaxLength,
} from 'class-validator';
import { INT32_MAX } from '../../common/limits';
import { PageQueryDto } from '../../common/pagination';
import { toArray, toBool, toInt } from '../../common/query-transforms';
import { BlockEntity } from '../block.entity';

/** Letta's default character limit of a core memory block. */
export const DEFAULT_BLOCK_LIMIT = 20_000;
export const MAX_BLOCK_LIMIT = 1_000_000;

const LABEL = /^[A-Za-z0-9_\-/.]+$/;

/** Fields a block shares between create and update. */
class BlockFieldsDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() metadata?: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tags?: string[] | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() read_only?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() hidden?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_template?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() template_name?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() template_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() base_template_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() deployment_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() entity_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() project_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() preserve_on_migration?: boolean | null;
}

export class CreateBlockDto extends BlockFieldsDto {
  @ApiProperty({ example: 'human' })
  @IsString()
  @Length(1, 200)
  @Matches(LABEL, { message: 'label may contain only letters, digits, _, -, / and .' })
  label: string;

  @ApiProperty() @IsString() value: string;

  @ApiPropertyOptional({ default: DEFAULT_BLOCK_LIMIT })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_BLOCK_LIMIT)
  limit?: number;
}

export class UpdateBlockDto extends BlockFieldsDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(LABEL, { message: 'label may contain only letters, digits, _, -, / and .' })
  label?: string | null;

  @ApiPropertyOptional() @IsOptional() @IsString() value?: string | null;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(MAX_BLOCK_LIMIT) limit?: number | null;
}

export class ListBlocksQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() label?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() templates_only?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() project_id?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toArray)
  @IsString({ each: true })
  tags?: string[];
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() match_all_tags?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() label_search?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() value_search?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() description_search?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  connected_to_agents_count_gt?: number;
  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  connected_to_agents_count_lt?: number;
  @ApiPropertyOptional({ type: [Number] })
  @IsOptional()
  @Transform(({ value }) => toArray({ value })?.map(Number))
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(INT32_MAX, { each: true })
  connected_to_agents_count_eq?: number[];
  @ApiPropertyOptional() @IsOptional() @IsString() identity_id?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toArray)
  @IsString({ each: true })
  identifier_keys?: string[];
}

export function toBlockDto(b: BlockEntity) {
  return {
    id: b.id,
    label: b.label,
    value: b.value,
    limit: b.limit,
    description: b.description,
    metadata: b.metadata ?? {},
    tags: b.tags ?? [],
    read_only: b.readOnly,
    hidden: b.hidden,
    is_template: b.isTemplate,
    template_name: b.templateName,
    template_id: b.templateId,
    base_template_id: b.baseTemplateId,
    deployment_id: b.deploymentId,
    entity_id: b.entityId,
    project_id: b.projectId,
    preserve_on_migration: b.preserveOnMigration,
    created_by_id: b.createdById,
    last_updated_by_id: b.lastUpdatedById,
  };
}
export type BlockDto = ReturnType<typeof toBlockDto>;
