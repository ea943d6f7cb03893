import {
  IsBoolean,
  IsDateString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  Min,
} from 'class-validator';
import { PROCESSING_STATUSES } from '../../sources/file.entity';

/**
 * One file of an agent file (Letta's FileSchema: FileMetadataBase with a file-local id). Not a
 * request body: the import validates each entry of `files` with it, so errors name the field.
 */
export class AgentFileFileDto {
  @IsString() @Length(1, 200) source_id: string;
  @IsOptional() @IsString() @Length(1, 1000) file_name?: string | null;
  @IsOptional() @IsString() @Length(1, 1000) original_file_name?: string | null;
  @IsOptional() @IsString() @MaxLength(2000) file_path?: string | null;
  @IsOptional() @IsString() @MaxLength(200) file_type?: string | null;
  @IsOptional() @IsInt() @Min(0) file_size?: number | null;
  @IsOptional() @IsString() @MaxLength(100) file_creation_date?: string | null;
  @IsOptional() @IsString() @MaxLength(100) file_last_modified_date?: string | null;
  @IsOptional() @IsIn(PROCESSING_STATUSES) processing_status?: string | null;
  @IsOptional() @IsString() @MaxLength(10_000) error_message?: string | null;
  @IsOptional() @IsInt() @Min(0) total_chunks?: number | null;
  @IsOptional() @IsInt() @Min(0) chunks_embedded?: number | null;
  /** The file's parsed text, which the import ingests again. */
  @IsOptional() @IsString() content?: string | null;
}

/** One entry of an agent's `files_agents` (Letta's FileAgentSchema): its view of a file. */
export class AgentFileFileAgentDto {
  @IsOptional() @IsString() @MaxLength(200) agent_id?: string | null;
  @IsString() @Length(1, 200) file_id: string;
  @IsOptional() @IsString() @MaxLength(200) source_id?: string | null;
  @IsOptional() @IsString() @MaxLength(2000) file_name?: string | null;
  @IsOptional() @IsBoolean() is_open?: boolean | null;
  @IsOptional() @IsString() visible_content?: string | null;
  @IsOptional() @IsDateString() last_accessed_at?: string | null;
  @IsOptional() @IsInt() @Min(1) start_line?: number | null;
  @IsOptional() @IsInt() @Min(1) end_line?: number | null;
}
