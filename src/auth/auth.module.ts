import { Global, Inject, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AccessTokenEntity } from './access-token.entity';
import { AccessTokensController } from './access-tokens.controller';
import { AccessTokensRepository } from './access-tokens.repository';
import { AccessTokensService } from './access-tokens.service';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { AuthRedis } from './auth-redis';
import { CredentialsService } from './credentials.service';
import { PrincipalCache } from './principal-cache';
import { RateLimitGuard, throttlerOptions } from './rate-limit.guard';
import { RouteTable } from './route-table';
import { WsConnectionLimiter } from './ws-connection-limiter';

/**
 * Authentication and authorization of the API process: the global guard, credentials (admin
 * key, API keys, JWTs, client-side access tokens), roles, rate limits and WebSocket connection
 * caps. Global, so the WebSocket gateway (API process only, like this module) can inject
 * `CredentialsService` and `WsConnectionLimiter`.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([ApiKeyEntity, AccessTokenEntity]),
    ThrottlerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: throttlerOptions }),
    DiscoveryModule,
    AgentsModule,
  ],
  controllers: [ApiKeysController, AccessTokensController],
  providers: [
    AuthRedis,
    PrincipalCache,
    ApiKeysRepository,
    ApiKeysService,
    AccessTokensRepository,
    AccessTokensService,
    CredentialsService,
    RateLimitGuard,
    WsConnectionLimiter,
    RouteTable,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [CredentialsService, WsConnectionLimiter, RouteTable],
})
export class AuthModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly routes: RouteTable,
  ) {}

  /** Default-deny, checked once: every route declares `@Access(...)` or `@Public()`. */
  onApplicationBootstrap(): void {
    const open = this.routes.undeclared();
    if (open.length)
      throw new Error(
        `Routes without @Access(...) or @Public(): ${open.map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`).join(', ')}`,
      );
    this.logger.log(describeMode(this.config));
  }
}

function describeMode(config: AppConfig): string {
  const a = config.auth;
  if (a.mode === 'off')
    return 'Auth: off (ENGRAM_ADMIN_KEY unset): requests act as the default user or the user_id header; set ENGRAM_ADMIN_KEY to require credentials';
  const sources = [
    a.adminKey && 'admin key',
    'API keys',
    'client-side access tokens',
    a.jwt && `JWT ${a.jwt.algorithm}${'jwksUrl' in a.jwt ? ' (JWKS)' : ''}`,
  ].filter(Boolean);
  const limit = a.rateLimitPerMinute ? `${a.rateLimitPerMinute}/min per credential` : 'no rate limit';
  return `Auth: required (${sources.join(', ')}); ${limit}; ${a.wsMaxConnectionsPerKey} WebSocket connections per credential`;
}
