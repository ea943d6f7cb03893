import { ApiProperty } from '@nestjs/swagger';
import { NDate, ObjArr, StrArr } from '../../common/api-response';

/** Letta's ImportedAgentsResponse. */
export class ImportedAgentsResponse {
  @StrArr() agent_ids: string[];
}

/**
 * Letta's AgentFileSchema (`.af`), the body of `GET /v1/agents/:id/export`: the top level is
 * typed; each entity is Letta's own schema (AgentSchema, BlockSchema, ToolSchema, ...).
 */
export class AgentFileSchema {
  @ObjArr() agents: Record<string, unknown>[];
  @ObjArr() groups: Record<string, unknown>[];
  @ObjArr() blocks: Record<string, unknown>[];
  @ObjArr() files: Record<string, unknown>[];
  @ObjArr() sources: Record<string, unknown>[];
  @ObjArr() tools: Record<string, unknown>[];
  @ObjArr() mcp_servers: Record<string, unknown>[];
  @ObjArr() skills: Record<string, unknown>[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata: Record<string, string>;
  @NDate() created_at: string | null;
}
