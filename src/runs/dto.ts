import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { PageQueryDto } from '../common/pagination';
import { toArray, toBool, toInt } from '../common/query-transforms';

export class ListRunsQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() agent_id?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toArray)
  @IsString({ each: true })
  agent_ids?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toArray)
  @IsIn(['created', 'running', 'completed', 'failed', 'cancelled'], { each: true })
  statuses?: string[];
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() background?: boolean;
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() active?: boolean;
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() ascending?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() stop_reason?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() conversation_id?: string;
}

export class ListStepsQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() agent_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() run_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() model?: string;
  @ApiPropertyOptional({ enum: ['positive', 'negative'] })
  @IsOptional()
  @IsIn(['positive', 'negative'])
  feedback?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() has_feedback?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() start_date?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() end_date?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @Transform(toArray)
  @IsString({ each: true })
  tags?: string[];
  @ApiPropertyOptional() @IsOptional() @IsString() trace_ids?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() project_id?: string;
}

export class FeedbackDto {
  @ApiPropertyOptional({ enum: ['positive', 'negative'] })
  @IsOptional()
  @IsIn(['positive', 'negative', null])
  feedback?: 'positive' | 'negative' | null;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @IsString({ each: true }) tags?:
    string[] | null;
}

export class RunStreamDto {
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) starting_after?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_pings?: boolean | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() poll_interval?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() batch_size?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsString() agent_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() run_id?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() otid?: string | null;
}

export class RunStreamQueryDto {
  @ApiPropertyOptional() @IsOptional() @Transform(toInt) @IsInt() @Min(0) starting_after?: number;
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() include_pings?: boolean;
}

/** Letta's `limit` of GET /v1/runs/:id/trace: spans to return. */
export class RunTraceQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 1000, description: 'Maximum number of spans' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit?: number;
}
