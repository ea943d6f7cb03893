import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { INCLUDES } from '../../agents/dto/agent.dto';
import { PageQueryDto } from '../../common/pagination';
import { toArray } from '../../common/query-transforms';
import { IDENTITY_TYPES, IdentityType, PROPERTY_TYPES, PropertyType } from '../identity.entity';

/** At most this many properties, agents or blocks on one identity per request. */
const MAX_ITEMS = 1000;

/** Letta's IdentityProperty; that `value` matches `type` is checked by the service. */
export class IdentityPropertyDto {
  @ApiProperty() @IsString() @Length(1, 200) key: string;
  @ApiProperty({ description: 'string, number, boolean or object, as `type` says' }) @IsDefined() value:
    string | number | boolean | Record<string, unknown>;
  @ApiProperty({ enum: PROPERTY_TYPES }) @IsIn(PROPERTY_TYPES) type: PropertyType;
}

class IdentityLinksDto {
  @ApiPropertyOptional({ type: [String], deprecated: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ITEMS)
  @IsString({ each: true })
  agent_ids?: string[] | null;
  @ApiPropertyOptional({ type: [String], deprecated: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ITEMS)
  @IsString({ each: true })
  block_ids?: string[] | null;
  @ApiPropertyOptional({ type: [IdentityPropertyDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => IdentityPropertyDto)
  properties?: IdentityPropertyDto[] | null;
}

/** POST /v1/identities (and PUT, the upsert, which takes the same fields). */
export class CreateIdentityDto extends IdentityLinksDto {
  @ApiProperty({ description: "The application's own key for this identity" })
  @IsString()
  @Length(1, 500)
  identifier_key: string;
  @ApiProperty() @IsString() @Length(1, 500) name: string;
  @ApiProperty({ enum: IDENTITY_TYPES }) @IsIn(IDENTITY_TYPES) identity_type: IdentityType;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) project_id?: string | null;
}

export class UpdateIdentityDto extends IdentityLinksDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) identifier_key?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) name?: string | null;
  @ApiPropertyOptional({ enum: IDENTITY_TYPES })
  @IsOptional()
  @IsIn(IDENTITY_TYPES)
  identity_type?: IdentityType | null;
}

export class ListIdentitiesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the name' }) @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() project_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() identifier_key?: string;
  @ApiPropertyOptional({ enum: IDENTITY_TYPES })
  @IsOptional()
  @IsIn(IDENTITY_TYPES)
  identity_type?: IdentityType;
}

export class ListIdentityAgentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: [String], enum: INCLUDES })
  @IsOptional()
  @Transform(toArray)
  @IsIn(INCLUDES, { each: true })
  include?: string[];
}
