import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_QUERY_CHARS } from '../hybrid';

/** POST /v1/messages/search (Letta's SearchAllMessagesRequest). */
export class MessageSearchDto {
  @ApiProperty() @IsString() @MaxLength(MAX_QUERY_CHARS) query: string;
  @ApiPropertyOptional() @IsOptional() @IsString() agent_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() conversation_id?: string | null;
  @ApiPropertyOptional({ enum: ['vector', 'fts', 'hybrid'], default: 'hybrid' })
  @IsOptional()
  @IsIn(['vector', 'fts', 'hybrid'])
  search_mode?: 'vector' | 'fts' | 'hybrid';
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() start_date?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() end_date?: string | null;
}
