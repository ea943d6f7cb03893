import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { Auth, AuthPrincipal } from '../common/auth/principal';
import { AccessTokensService } from './access-tokens.service';
import { CreateAccessTokenDto, ListAccessTokensQueryDto } from './dto/access-token.dto';
import { ApiOk } from '../common/api-response';
import { AccessTokenListResponse, AccessTokenResponse, SuccessResponse } from './dto/auth.response';

/** Letta's client-side access tokens (`client.accessTokens`), managed with a server-side credential. */
@ApiTags('client-side-access-tokens')
@Access('member')
@Controller('client-side-access-tokens')
export class AccessTokensController {
  constructor(private readonly tokens: AccessTokensService) {}

  @ApiOk(AccessTokenResponse)
  @Post()
  @HttpCode(200)
  create(@Auth() p: AuthPrincipal, @Body() dto: CreateAccessTokenDto) {
    return this.tokens.create(p, dto);
  }

  @ApiOk(AccessTokenListResponse)
  @Get()
  list(@Auth() p: AuthPrincipal, @Query() q: ListAccessTokensQueryDto) {
    return this.tokens.list(p, q);
  }

  @ApiOk(SuccessResponse)
  @Delete(':token')
  async delete(@Auth() p: AuthPrincipal, @Param('token') token: string) {
    await this.tokens.delete(p, token);
    return { success: true };
  }
}
