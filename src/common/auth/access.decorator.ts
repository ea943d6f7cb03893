import { applyDecorators, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Role } from './principal';

export const ACCESS_POLICY = 'engram:access';

/** Which of a client-side access token's grants a route under `/agents/:agent_id` needs. */
export type AgentScope = 'messages' | 'agent';

export interface AccessPolicy {
  /** The weakest role allowed. `read_only` credentials pass member routes only when they read. */
  role: Role;
  /**
   * Whether the route only reads. Default: GET and HEAD read, every other method writes. Set
   * `true` on POST routes that only read (searches).
   */
  read?: boolean;
  /** For client-side access tokens: `messages` routes need *_messages, others *_agent. */
  agentScope?: AgentScope;
}

/**
 * The one auth decorator a controller (or a route whose policy differs from its controller's)
 * carries: the role it needs, whether it only reads, and its OpenAPI security. A route with
 * neither `@Access` nor `@Public` is refused at boot (default-deny).
 *
 *   @Access('member') @Controller('agents') class AgentsController {}
 *   @Access('member', { read: true }) @Post('search') search() {}
 *   @Access('admin') @Post('orgs') createOrg() {}
 */
export function Access(role: Role, options: Omit<AccessPolicy, 'role'> = {}) {
  const policy: AccessPolicy = { role, ...options };
  return applyDecorators(
    SetMetadata(ACCESS_POLICY, policy),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, unknown, expired or revoked credential' }),
    ApiForbiddenResponse({
      description: `Needs role ${role}${role === 'member' ? ' (read_only: reads only)' : ''}`,
    }),
    ApiTooManyRequestsResponse({ description: 'Rate limit exceeded; see Retry-After' }),
  );
}
