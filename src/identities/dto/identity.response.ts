import { ApiProperty } from '@nestjs/swagger';
import { AnyJson, NStr, Str, StrArr } from '../../common/api-response';

export class IdentityPropertyResponse {
  @Str() key: string;
  @AnyJson({ description: 'string, number, boolean or JSON, as `type` says' }) value: unknown;
  @Str({ enum: ['string', 'number', 'boolean', 'json'] }) type: string;
}

/** Letta's Identity (toIdentityDto). */
export class IdentityResponse {
  @Str({ example: 'identity-…' }) id: string;
  @Str() identifier_key: string;
  @Str() name: string;
  @Str() identity_type: string;
  @NStr() project_id: string | null;
  @StrArr() agent_ids: string[];
  @StrArr() block_ids: string[];
  @Str() organization_id: string;
  @ApiProperty({ type: [IdentityPropertyResponse] }) properties: IdentityPropertyResponse[];
}
