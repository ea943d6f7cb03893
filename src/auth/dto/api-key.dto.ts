import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { ROLES, type Role } from '../../common/auth/principal';
import { PageQueryDto } from '../../common/pagination';
import { apiKeyDisplayPrefix } from '../secrets-format';
import type { ApiKeyEntity } from '../api-key.entity';

export class CreateApiKeyDto {
  @ApiProperty() @IsString() @Length(1, 200) name: string;
  @ApiProperty({ description: 'The organization the key acts in' }) @IsString() organization_id: string;
  @ApiPropertyOptional({ description: 'The user the key acts as (a user of organization_id)' })
  @IsOptional()
  @IsString()
  user_id?: string | null;
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES) role: Role;
  @ApiPropertyOptional({ description: 'ISO 8601; the key is refused after this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string | null;
  @ApiPropertyOptional({ description: 'Requests per minute (default: ENGRAM_RATE_LIMIT_PER_MINUTE)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  rate_limit_per_minute?: number | null;
}

export class ListApiKeysQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() organization_id?: string;
}

export function toApiKeyDto(k: ApiKeyEntity) {
  return {
    id: k.id,
    prefix: apiKeyDisplayPrefix(k.prefix),
    name: k.name,
    organization_id: k.organizationId,
    user_id: k.userId,
    role: k.role,
    expires_at: k.expiresAt?.toISOString() ?? null,
    rate_limit_per_minute: k.rateLimitPerMinute,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
  };
}

/** The creation response: the only place the key itself ever appears. */
export function toCreatedApiKeyDto(k: ApiKeyEntity, key: string) {
  const { id, last_used_at: _unused, ...rest } = toApiKeyDto(k);
  return { id, key, ...rest };
}
