import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
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
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { toBool } from '../../common/query-transforms';

const MAX_TEXT = 100_000;

/** POST /v1/folders (Letta's SourceCreate). */
export class CreateFolderDto {
  @ApiProperty() @IsString() @Length(1, 500) name: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_TEXT) description?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_TEXT) instructions?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() metadata?: Record<string, unknown> | null;
  @ApiPropertyOptional({ description: 'Embedding model handle, e.g. local/hash-embedding-v1' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  embedding?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(100_000) embedding_chunk_size?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() embedding_config?: Record<string, unknown> | null;
}

/** PATCH /v1/folders/:id (Letta's SourceUpdate). */
export class UpdateFolderDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) name?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_TEXT) description?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_TEXT) instructions?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() metadata?: Record<string, unknown> | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() embedding_config?: Record<string, unknown> | null;
}

export class ListFoldersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Folder name' }) @IsOptional() @IsString() name?: string;
}

export class ListFilesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  include_content?: boolean;
}

export class GetFileQueryDto {
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  include_content?: boolean;
}

export const DUPLICATE_HANDLING = ['skip', 'error', 'suffix', 'replace'] as const;
export type DuplicateHandling = (typeof DUPLICATE_HANDLING)[number];

/** The query of POST /v1/folders/:id/upload (the file is the multipart field `file`). */
export class UploadQueryDto {
  @ApiPropertyOptional({ enum: DUPLICATE_HANDLING, default: 'suffix' })
  @IsOptional()
  @IsIn(DUPLICATE_HANDLING)
  duplicate_handling?: DuplicateHandling;
  @ApiPropertyOptional({ description: "A name to use instead of the uploaded file's" })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  name?: string;
}

/** GET /v1/agents/:id/files (a NextFilesPage). */
export class ListAgentFilesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ deprecated: true, description: 'Use after' })
  @IsOptional()
  @IsString()
  cursor?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  is_open?: boolean;
}
