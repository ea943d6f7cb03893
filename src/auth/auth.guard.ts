import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ACCESS_POLICY, AccessPolicy } from '../common/auth/access.decorator';
import { AuthPrincipal, IS_PUBLIC } from '../common/auth/principal';
import { ForbiddenError } from '../common/errors';
import { credentialInput, CredentialsService } from './credentials.service';
import { RateLimitGuard } from './rate-limit.guard';

type Request = FastifyRequest & { principal?: AuthPrincipal; params?: Record<string, string | undefined> };

/**
 * The one global guard: resolves the principal (credentials service), checks the route's
 * `@Access` policy, then applies the per-credential rate limit. Default-deny: only `@Public()`
 * routes pass without a credential when auth is required.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly credentials: CredentialsService,
    private readonly rateLimit: RateLimitGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const targets = [context.getHandler(), context.getClass()];
    const input = credentialInput(request.headers);
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      // A public route needs no principal; with auth off it still gets one when it can (as before).
      if (!this.credentials.required)
        request.principal = await this.credentials.authenticate(input).catch(() => undefined);
      return true;
    }
    const principal = await this.credentials.authenticate(input);
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, targets);
    if (this.credentials.required) {
      if (!policy) throw new ForbiddenError('This route declares no access policy');
      this.credentials.authorize(principal, policy, {
        method: request.method,
        agentId: request.params?.agent_id,
        origin: typeof request.headers.origin === 'string' ? request.headers.origin : undefined,
      });
    }
    request.principal = principal;
    return this.rateLimit.canActivate(context);
  }
}
