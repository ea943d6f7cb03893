import { ApiProperty, OmitType } from '@nestjs/swagger';
import { Bool, Date_, NDate, NInt, NStr, Str, StrArr } from '../../common/api-response';

/** An API key as listed (never the secret). */
export class ApiKeyResponse {
  @Str({ example: 'apikey-…' }) id: string;
  @Str() prefix: string;
  @Str() name: string;
  @Str() organization_id: string;
  @NStr() user_id: string | null;
  @Str() role: string;
  @NDate() expires_at: string | null;
  @NInt() rate_limit_per_minute: number | null;
  @Date_() created_at: string;
  @NDate() last_used_at: string | null;
}

/** The creation response: the only place the key itself appears (it was never used yet). */
export class CreatedApiKeyResponse extends OmitType(ApiKeyResponse, ['last_used_at'] as const) {
  @Str({ example: 'sk-engram-…' }) key: string;
}

export class AccessGrantResponse {
  @Str({ enum: ['agent'] }) type: string;
  @Str() id: string;
  @StrArr() access: string[];
}

export class AccessPolicyResponse {
  @Str({ enum: ['1'] }) version: string;
  @ApiProperty({ type: [AccessGrantResponse] }) data: AccessGrantResponse[];
}

/** Letta's client-side access token (camelCase, as the official client declares it). */
export class AccessTokenResponse {
  @Str({ example: 'ck-engram-…' }) token: string;
  @Date_() expiresAt: string;
  @Str() hostname: string;
  @ApiProperty({ type: AccessPolicyResponse }) policy: AccessPolicyResponse;
}

export class AccessTokenListResponse {
  @ApiProperty({ type: [AccessTokenResponse] }) tokens: AccessTokenResponse[];
  @Bool() hasNextPage: boolean;
}

export class SuccessResponse {
  @Bool() success: boolean;
}
