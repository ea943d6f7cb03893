import { ApiProperty } from '@nestjs/swagger';
import {
  AnyJson,
  Bool,
  NBool,
  NInt,
  NNum,
  NObj,
  NStr,
  NStrArr,
  Obj,
  Str,
  StrArr,
} from '../../common/api-response';

/** Letta's Tool (toToolDto). */
export class ToolResponse {
  @Str({ example: 'tool-…' }) id: string;
  @Str() name: string;
  @NStr() description: string | null;
  @Str() tool_type: string;
  @NStr() source_type: string | null;
  @NStr() source_code: string | null;
  @NObj() json_schema: Record<string, unknown> | null;
  @NObj() args_json_schema: Record<string, unknown> | null;
  @StrArr() tags: string[];
  @NInt() return_char_limit: number | null;
  @ApiProperty({ type: 'array', items: { type: 'object' }, nullable: true }) pip_requirements:
    Record<string, unknown>[] | null;
  @ApiProperty({ type: 'array', items: { type: 'object' }, nullable: true }) npm_requirements:
    Record<string, unknown>[] | null;
  @NBool() default_requires_approval: boolean | null;
  @NBool() enable_parallel_execution: boolean | null;
  @Obj() metadata_: Record<string, unknown>;
  @NStr() project_id: string | null;
  @NStr() created_by_id: string | null;
  @NStr() last_updated_by_id: string | null;
}

/** One hit of POST /v1/tools/search. */
export class ToolSearchResult {
  @ApiProperty({ type: ToolResponse }) tool: ToolResponse;
  @NNum() combined_score: number | null;
  @NNum() fts_rank: number | null;
  @NNum() vector_rank: number | null;
  @NStr() embedded_text: string | null;
}

/** DELETE acknowledgement of tools and blocks. */
export class DeletedResponse {
  @Str() id: string;
  @Bool() deleted: boolean;
}

/** POST /v1/agents/:id/tools/:name/run and MCP tool runs: Letta's ToolExecutionResult. */
export class ToolExecutionResponse {
  @Str({ enum: ['success', 'error'] }) status: string;
  @AnyJson({ description: 'What the tool returned' }) func_return: unknown;
  @NStrArr() stdout: string[] | null;
  @NStrArr() stderr: string[] | null;
  @NObj() agent_state: Record<string, unknown> | null;
  @NStr() sandbox_config_fingerprint: string | null;
}
