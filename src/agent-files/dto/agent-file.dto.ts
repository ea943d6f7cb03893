import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  MaxLength,
} from 'class-validator';
import { HANDLE, HANDLE_MESSAGE } from '../../agents/dto/agent.dto';
import { BadRequestError } from '../../common/errors';
import { toBool, toInt } from '../../common/query-transforms';
import type { ImportOptions } from '../agent-file-import.service';

export class ExportAgentFileQueryDto {
  @ApiPropertyOptional({ description: 'Leave the message history out' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  scrub_messages?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() conversation_id?: string;
  @ApiPropertyOptional({ deprecated: true, description: 'Not supported (400), as in Letta' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  use_legacy_format?: boolean;
  @ApiPropertyOptional({ deprecated: true, description: 'No effect (deprecated in Letta too)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  max_steps?: number;
}

/** The text fields of the import form, as the client sends them (booleans as 'true'/'false'). */
export class ImportAgentFileFieldsDto {
  @ApiPropertyOptional({ default: true, deprecated: true })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  append_copy_suffix?: boolean;
  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  override_existing_tools?: boolean;
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  strip_messages?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional({ deprecated: true }) @IsOptional() @IsString() @Length(1, 200) override_name?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(HANDLE, { message: `model ${HANDLE_MESSAGE}` })
  model?: string;
  @ApiPropertyOptional({ deprecated: true })
  @IsOptional()
  @IsString()
  @Matches(HANDLE, { message: `override_model_handle ${HANDLE_MESSAGE}` })
  override_model_handle?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(HANDLE, { message: `embedding ${HANDLE_MESSAGE}` })
  embedding?: string;
  @ApiPropertyOptional({ deprecated: true })
  @IsOptional()
  @IsString()
  @Matches(HANDLE, { message: `override_embedding_handle ${HANDLE_MESSAGE}` })
  override_embedding_handle?: string;
  @ApiPropertyOptional({ deprecated: true }) @IsOptional() @IsString() @MaxLength(500) project_id?: string;
  @ApiPropertyOptional({ description: 'A JSON object of secret values for the agents’ tools' })
  @IsOptional()
  @IsString()
  secrets?: string;
  @ApiPropertyOptional({ deprecated: true, description: 'The old name of secrets' })
  @IsOptional()
  @IsString()
  env_vars_json?: string;
}

/** The form's fields and headers as import options: new names win over deprecated ones, as in Letta. */
export function importOptions(
  f: ImportAgentFileFieldsDto,
  headers: { embedding?: string; projectId?: string },
): ImportOptions {
  return {
    appendCopySuffix: f.append_copy_suffix ?? true,
    overrideExistingTools: f.override_existing_tools ?? true,
    stripMessages: f.strip_messages ?? false,
    name: f.name ?? f.override_name,
    model: f.model ?? f.override_model_handle,
    embedding: f.embedding ?? f.override_embedding_handle ?? headers.embedding,
    projectId: headers.projectId ?? f.project_id,
    secrets: secretsOf(f.secrets != null ? 'secrets' : 'env_vars_json', f.secrets ?? f.env_vars_json),
  };
}

function secretsOf(field: string, text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError(`${field} must be a JSON object of strings`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new BadRequestError(`${field} must be a JSON object of strings`);
  for (const [k, v] of Object.entries(value))
    if (typeof v !== 'string') throw new BadRequestError(`${field}.${k} must be a string`);
  return value as Record<string, string>;
}
