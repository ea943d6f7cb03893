import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isId } from '../ids';
import { UnauthorizedError } from '../errors';
import { OrganizationsService } from '../../organizations/organizations.service';
import { IS_PUBLIC, Principal } from './principal';

/**
 * Resolves who a request acts as. Auth is off for now (the local default, like self-hosted
 * Letta): a request acts as the default user, or as the user named by Letta's `user_id`
 * header. API keys and JWTs will plug in here without touching the controllers.
 */
@Injectable()
export class PrincipalGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly organizations: OrganizationsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | string[] | undefined>; principal?: Principal }>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    const header = request.headers['user_id'] ?? request.headers['user-id'];
    const userId = Array.isArray(header) ? header[0] : header;
    if (userId) {
      const principal = isId('user', userId) ? await this.organizations.principalForUser(userId) : null;
      if (!principal) {
        if (isPublic) return true;
        throw new UnauthorizedError(`Unknown user '${userId}' in the user_id header`);
      }
      request.principal = principal;
    } else {
      request.principal = this.organizations.defaultPrincipal();
    }
    return true;
  }
}
