import { Bool, Date_, Str } from '../common/api-response';
import { ApiProperty } from '@nestjs/swagger';

export class OrganizationResponse {
  @Str({ example: 'org-…' }) id: string;
  @Str() name: string;
  @Date_() created_at: string;
  @ApiProperty({ type: Boolean, nullable: true }) privileged_tools: boolean | null;
}

export class UserResponse {
  @Str({ example: 'user-…' }) id: string;
  @Str() name: string;
  @Str() organization_id: string;
  @Date_() created_at: string;
  @Date_() updated_at: string;
  @Bool() is_deleted: boolean;
}

/** DELETE of an organization or a user. */
export class IdResponse {
  @Str() id: string;
}
