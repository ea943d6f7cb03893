import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import { PageQueryDto } from '../common/pagination';
import { OrganizationEntity, UserEntity } from './organization.entity';

export class CreateOrganizationDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) name?: string;
}

export class UpdateOrganizationDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() privileged_tools?: boolean;
}

export class CreateUserDto {
  @ApiProperty() @IsString() @Length(1, 200) name: string;
  @ApiPropertyOptional() @IsOptional() @IsString() organization_id?: string;
}

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() org_id?: string;
  /** Letta's older name for `after`. */
  @ApiPropertyOptional() @IsOptional() @IsString() cursor?: string;
}

export class ListOrgsQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() cursor?: string;
}

export function toOrganizationDto(o: OrganizationEntity) {
  return {
    id: o.id,
    name: o.name,
    created_at: o.createdAt.toISOString(),
    privileged_tools: o.privilegedTools,
  };
}

export function toUserDto(u: UserEntity) {
  return {
    id: u.id,
    name: u.name,
    organization_id: u.organizationId,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
    is_deleted: false,
  };
}
