import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

/** Who is asking: every service call is scoped to `organizationId`. */
export interface Principal {
  organizationId: string;
  userId: string;
}

/** Roles, weakest first: each can do what the ones before it can. */
export const ROLES = ['read_only', 'member', 'org_admin', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/** What a client-side access token may do with one agent (Letta's policy entries). */
export const AGENT_ACCESS = ['read_messages', 'write_messages', 'read_agent', 'write_agent'] as const;
export type AgentAccess = (typeof AGENT_ACCESS)[number];

export interface AgentGrant {
  type: 'agent';
  id: string;
  access: AgentAccess[];
}

export type CredentialKind = 'none' | 'admin_key' | 'api_key' | 'jwt' | 'access_token';

/**
 * The principal the auth guard resolved for a request: the tenant and user it acts as, its
 * role, and the credential behind it (what rate limits and connection caps count against).
 */
export interface AuthPrincipal extends Principal {
  role: Role;
  credential: {
    kind: CredentialKind;
    /** Stable id of the credential: an API key id, a token id, `jwt:<user>`, `admin`, ... */
    id: string;
    /** Requests per minute for this credential; undefined: the configured default. */
    rateLimitPerMinute?: number;
  };
  /** Only for client-side access tokens: the agents it may touch, and how. */
  grants?: AgentGrant[];
  /** The token's hostname (client-side access tokens): requests from another Origin are refused. */
  hostname?: string;
}

export const IS_PUBLIC = 'engram:public';
/** Routes reachable without a principal (health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The resolved principal of the request, set by the global auth guard. */
export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthPrincipal => {
  const request = ctx.switchToHttp().getRequest<{ principal?: AuthPrincipal }>();
  if (!request.principal) throw new Error('Auth() used on a route the auth guard did not resolve');
  return request.principal;
});

/**
 * The organization an administrative request is confined to: none for `admin` (every
 * organization), the principal's own for everyone else.
 */
export function orgScope(p: AuthPrincipal): string | undefined {
  return p.role === 'admin' ? undefined : p.organizationId;
}
