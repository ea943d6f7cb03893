import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { AGENT_ACCESS, type AgentAccess } from '../../common/auth/principal';
import { toInt } from '../../common/query-transforms';
import type { AccessTokenEntity } from '../access-token.entity';

export class AgentGrantDto {
  @ApiProperty({ enum: ['agent'] }) @IsIn(['agent']) type: 'agent';
  @ApiProperty() @IsString() id: string;
  @ApiProperty({ enum: AGENT_ACCESS, isArray: true })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(AGENT_ACCESS.length)
  @IsIn(AGENT_ACCESS, { each: true })
  access: AgentAccess[];
}

export class CreateAccessTokenDto {
  @ApiProperty({
    description: 'The browser app that uses the token: a full origin, e.g. https://app.example.com',
  })
  @IsString()
  @MaxLength(2048)
  hostname: string;
  @ApiProperty({ type: [AgentGrantDto] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => AgentGrantDto)
  policy: AgentGrantDto[];
  @ApiPropertyOptional({ description: 'ISO 8601; default: five minutes from now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;
}

export class ListAccessTokensQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() agentId?: string;
  @ApiPropertyOptional({ default: 10, minimum: 1, maximum: 100 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset?: number;
}

/** Letta's token shape (camelCase, as the official client declares it). */
export function toAccessTokenDto(t: AccessTokenEntity, token: string) {
  return {
    token,
    expiresAt: t.expiresAt.toISOString(),
    hostname: t.hostname,
    policy: {
      version: '1' as const,
      data: t.policy.map((g) => ({ type: g.type, id: g.id, access: g.access })),
    },
  };
}
