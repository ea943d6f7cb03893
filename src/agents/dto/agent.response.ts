import { ApiProperty } from '@nestjs/swagger';
import {
  Bool,
  Date_,
  NBool,
  NDate,
  NInt,
  NObj,
  NStr,
  Obj,
  ObjArr,
  Str,
  StrArr,
} from '../../common/api-response';
import { BlockResponse } from '../../memory/dto/block.response';
import { AGENT_TYPES } from './agent.dto';

/** The agent's memory as Letta shows it: its blocks and the template of the memory section. */
export class AgentMemoryResponse {
  @Str() agent_type: string;
  @ApiProperty({ type: [BlockResponse] }) blocks: BlockResponse[];
  @ObjArr() file_blocks: Record<string, unknown>[];
  @Bool() git_enabled: boolean;
  @Str() prompt_template: string;
}

/** Letta's AgentState. Relations left out by `include` show as empty lists. */
export class AgentStateResponse {
  @Str({ example: 'agent-…' }) id: string;
  @Str() name: string;
  @ApiProperty({ enum: AGENT_TYPES }) agent_type: string;
  @Str() system: string;
  @NStr() description: string | null;
  @NObj() metadata: Record<string, unknown> | null;
  @StrArr() tags: string[];
  @ApiProperty({ type: [BlockResponse] }) blocks: BlockResponse[];
  @ApiProperty({ type: AgentMemoryResponse }) memory: AgentMemoryResponse;
  @NStr() model: string | null;
  @NStr() embedding: string | null;
  @Obj() llm_config: Record<string, unknown>;
  @Obj() embedding_config: Record<string, unknown>;
  @NObj() model_settings: Record<string, unknown> | null;
  @ObjArr() tool_rules: Record<string, unknown>[];
  @NObj() response_format: Record<string, unknown> | null;
  @NObj() compaction_settings: Record<string, unknown> | null;
  @ObjArr({ description: 'Letta Tool objects' }) tools: Record<string, unknown>[];
  @ObjArr() sources: Record<string, unknown>[];
  @ObjArr() identities: Record<string, unknown>[];
  @StrArr({ deprecated: true }) identity_ids: string[];
  @ObjArr() secrets: Record<string, unknown>[];
  @ObjArr() tool_exec_environment_variables: Record<string, unknown>[];
  @StrArr() message_ids: string[];
  @Bool() message_buffer_autoclear: boolean;
  @NStr() timezone: string | null;
  @NInt() max_files_open: number | null;
  @NInt() per_file_view_window_char_limit: number | null;
  @Bool() enable_sleeptime: boolean;
  @NObj() multi_agent_group: Record<string, unknown> | null;
  @NObj() managed_group: Record<string, unknown> | null;
  @NObj({ description: 'The approval request message while one waits' }) pending_approval: Record<
    string,
    unknown
  > | null;
  @NBool() hidden: boolean | null;
  @NStr() project_id: string | null;
  @NStr() template_id: string | null;
  @NStr() base_template_id: string | null;
  @NStr() deployment_id: string | null;
  @NStr() entity_id: string | null;
  @NDate() last_run_completion: string | null;
  @NInt() last_run_duration_ms: number | null;
  @NStr() last_stop_reason: string | null;
  @NStr() created_by_id: string | null;
  @NStr() last_updated_by_id: string | null;
  @Date_() created_at: string;
  @Date_() updated_at: string;
}

/** DELETE /v1/agents/:id. */
export class AgentDeletedResponse {
  @Str() id: string;
  @Bool() deleted: boolean;
  @Str() message: string;
}
