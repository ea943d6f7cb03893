import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsDefined,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { MCP_SERVER_TYPES, McpServerType } from '../mcp-server.entity';

const MAX_ENTRIES = 100;

/** A JSON object of string values (headers, environment variables), of bounded size. */
function IsStringRecord(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isStringRecord',
      validator: {
        validate: (v: unknown) =>
          typeof v === 'object' &&
          v !== null &&
          !Array.isArray(v) &&
          Object.keys(v).length <= MAX_ENTRIES &&
          Object.entries(v).every(
            ([k, s]) => k.length > 0 && k.length <= 256 && typeof s === 'string' && s.length <= 16_384,
          ),
        defaultMessage: (a) => `${a?.property} must be an object of at most ${MAX_ENTRIES} string values`,
      },
    },
    options,
  );
}

/**
 * One MCP server's connection settings, as the Letta client sends them for every type
 * (CreateStdioMcpServer | CreateSseMcpServer | CreateStreamableHTTPMcpServer and the Update*
 * variants). Which fields a type requires or forbids is checked by the service, so the error
 * names the type.
 */
export class McpServerConfigDto {
  @ApiPropertyOptional({ enum: MCP_SERVER_TYPES })
  @IsOptional()
  @IsIn(MCP_SERVER_TYPES)
  mcp_server_type?: McpServerType;

  @ApiPropertyOptional({ description: 'The URL of the server (sse, streamable_http)' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  server_url?: string | null;

  @ApiPropertyOptional({ description: "The name of the authentication header (e.g., 'Authorization')" })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  @Matches(/^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/, { message: 'auth_header must be an HTTP header name' })
  auth_header?: string | null;

  @ApiPropertyOptional({ description: 'The authentication token or API key value' })
  @IsOptional()
  @IsString()
  @MaxLength(16_384)
  auth_token?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsStringRecord()
  custom_headers?: Record<string, string> | null;

  @ApiPropertyOptional({ description: 'The command to run (stdio)' })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  command?: string | null;

  @ApiPropertyOptional({ type: [String], description: 'The arguments to pass to the command (stdio)' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(16_384, { each: true })
  args?: string[] | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Environment variables (stdio)',
  })
  @IsOptional()
  @IsStringRecord()
  env?: Record<string, string> | null;
}

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const SERVER_NAME = /^[^\x00-\x1f\x7f]+$/;

export class CreateMcpServerDto {
  @ApiProperty({ description: 'The name of the MCP server' })
  @IsString()
  @Length(1, 200)
  @Matches(SERVER_NAME, { message: 'server_name must not contain control characters' })
  server_name: string;

  @ApiProperty({ type: McpServerConfigDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => McpServerConfigDto)
  config: McpServerConfigDto;
}

export class UpdateMcpServerDto {
  @ApiPropertyOptional({ description: 'The name of the MCP server' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(SERVER_NAME, { message: 'server_name must not contain control characters' })
  server_name?: string | null;

  @ApiPropertyOptional({ type: McpServerConfigDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => McpServerConfigDto)
  config?: McpServerConfigDto | null;
}

export class RefreshMcpServerQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  agent_id?: string;
}

/** Letta's ToolExecuteRequest. */
export class RunMcpToolDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  args?: Record<string, unknown>;
}
