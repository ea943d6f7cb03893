import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

/** Who is asking: every service call is scoped to `organizationId`. */
export interface Principal {
  organizationId: string;
  userId: string;
}

export const IS_PUBLIC = 'engram:public';
/** Routes reachable without a principal (health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The resolved principal of the request, set by the global PrincipalGuard. */
export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  if (!request.principal) throw new Error('Auth() used on a route the PrincipalGuard did not resolve');
  return request.principal;
});
