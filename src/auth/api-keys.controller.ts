import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { Auth, AuthPrincipal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import { ApiKeysService } from './api-keys.service';
import { CreateApiKeyDto, ListApiKeysQueryDto, toApiKeyDto, toCreatedApiKeyDto } from './dto/api-key.dto';
import { ApiOk } from '../common/api-response';
import { ApiKeyResponse, CreatedApiKeyResponse } from './dto/auth.response';

/** API keys: `admin` for any organization, `org_admin` for its own, never above its own role. */
@ApiTags('admin')
@Access('org_admin')
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** The response is the only place the key ever appears. */
  @ApiOk(CreatedApiKeyResponse)
  @Post()
  @HttpCode(200)
  async create(@Auth() p: AuthPrincipal, @Body() dto: CreateApiKeyDto) {
    const { row, key } = await this.keys.create(p, dto);
    return toCreatedApiKeyDto(row, key);
  }

  @ApiOk([ApiKeyResponse])
  @Get()
  async list(@Auth() p: AuthPrincipal, @Query() q: ListApiKeysQueryDto) {
    const orgId = q.organization_id ? new IdPipe('org').transform(q.organization_id) : undefined;
    return (await this.keys.list(p, orgId, pageRequest(q))).map(toApiKeyDto);
  }

  @ApiOk(ApiKeyResponse)
  @Delete(':api_key_id')
  async revoke(@Auth() p: AuthPrincipal, @Param('api_key_id', new IdPipe('apikey')) id: string) {
    return toApiKeyDto(await this.keys.revoke(p, id));
  }
}
