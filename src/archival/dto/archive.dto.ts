import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import type { ArchiveEntity } from '../archive.entity';

/** POST /v1/archives (Letta's ArchiveCreateRequest). */
export class CreateArchiveDto {
  @ApiProperty() @IsString() @Length(1, 500) name: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string | null;
  @ApiPropertyOptional({ description: 'Embedding model handle, e.g. local/hash-embedding-v1' })
  @IsOptional()
  @IsString()
  embedding?: string | null;
  @ApiPropertyOptional({ deprecated: true }) @IsOptional() @IsObject() embedding_config?: Record<
    string,
    unknown
  > | null;
}

/** PATCH /v1/archives/:id. */
export class UpdateArchiveDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) name?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string | null;
}

export class ListArchivesQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() agent_id?: string;
}

/** Letta's `Archive`. */
export function toArchiveDto(a: ArchiveEntity) {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    embedding_config: a.embeddingConfig,
    vector_db_provider: a.vectorDbProvider,
    metadata: a.metadata ?? {},
    organization_id: a.organizationId,
    created_by_id: a.createdById,
    last_updated_by_id: a.lastUpdatedById,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}
