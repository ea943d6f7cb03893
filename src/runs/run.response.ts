import { ApiProperty } from '@nestjs/swagger';
import {
  Bool,
  Date_,
  Int,
  NDate,
  NInt,
  NObj,
  NStr,
  NStrArr,
  Obj,
  ObjArr,
  Str,
  StrArr,
} from '../common/api-response';

/** Letta's Run (the client's `runs.Run`), as `toRunDto` writes it. */
export class RunResponse {
  @Str({ example: 'run-…' }) id: string;
  @Str() agent_id: string;
  @Str({ enum: ['created', 'running', 'completed', 'failed', 'cancelled'] }) status: string;
  @NStr() stop_reason: string | null;
  @Bool() background: boolean;
  @NObj() request_config: Record<string, unknown> | null;
  @Obj({ description: 'Includes `error` ({type, message}) when the run failed' })
  metadata: Record<string, unknown>;
  @NStr() callback_url: string | null;
  @NDate() callback_sent_at: string | null;
  @NInt() callback_status_code: number | null;
  @NStr() callback_error: string | null;
  @NStr() conversation_id: string | null;
  @NStr() base_template_id: string | null;
  @Date_() created_at: string;
  @NDate() completed_at: string | null;
  @NInt() ttft_ns: number | null;
  @NInt() total_duration_ns: number | null;
}

/** Letta's Step, as `toStepDto` writes it. */
export class StepResponse {
  @Str({ example: 'step-…' }) id: string;
  @Str() agent_id: string;
  @NStr() run_id: string | null;
  @Str() status: string;
  @NStr() stop_reason: string | null;
  @NStr() provider_name: string | null;
  @Str() provider_category: string;
  @NStr() model: string | null;
  @NStr() model_handle: string | null;
  @NStr() model_endpoint: string | null;
  @NInt() context_window_limit: number | null;
  @Int() prompt_tokens: number;
  @Int() completion_tokens: number;
  @Int() total_tokens: number;
  @NInt() cached_input_tokens: number | null;
  @NInt() reasoning_tokens: number | null;
  @NStr({ description: 'positive or negative' }) feedback: string | null;
  @StrArr() tags: string[];
  @NStr() error_type: string | null;
  @NObj() error_data: Record<string, unknown> | null;
  @NStr() origin: string | null;
  @NStr() project_id: string | null;
  @NStr() trace_id: string | null;
  @Date_() created_at: string;
}

/** Letta's StepMetrics: where a step's time went (null for steps stored before it was measured). */
export class StepMetricsResponse {
  @Str() id: string;
  @Str() agent_id: string;
  @NStr() run_id: string | null;
  @NInt() step_ns: number | null;
  @NInt() llm_request_ns: number | null;
  @NInt() tool_execution_ns: number | null;
  @NInt() step_start_ns: number | null;
  @NInt() llm_request_start_ns: number | null;
  @NStr() provider_id: string | null;
  @NStr() project_id: string | null;
  @NStr() template_id: string | null;
  @NStr() base_template_id: string | null;
}

export class PromptTokensDetails {
  @NInt() cached_tokens: number | null;
}

export class CompletionTokensDetails {
  @NInt() reasoning_tokens: number | null;
}

/** `GET /v1/runs/:id/usage`: the client's RunUsageResponse. */
export class RunUsageResponse {
  @Int() completion_tokens: number;
  @Int() prompt_tokens: number;
  @Int() total_tokens: number;
  @ApiProperty({ type: PromptTokensDetails }) prompt_tokens_details: PromptTokensDetails;
  @ApiProperty({ type: CompletionTokensDetails }) completion_tokens_details: CompletionTokensDetails;
}

/** Letta's ProviderTrace (`GET /v1/steps/:id/trace`): the step's LLM request and response. */
export class ProviderTraceResponse {
  @Str({ example: 'provider_trace-…' }) id: string;
  @Obj({ description: 'The request body sent to the provider (its own wire format)' })
  request_json: Record<string, unknown>;
  @Obj({ description: 'The provider response (for a stream: the response its chunks add up to)' })
  response_json: Record<string, unknown>;
  @NStr() step_id: string | null;
  @NStr() agent_id: string | null;
  @NStrArr() agent_tags: string[] | null;
  @NStr({ description: 'agent_step' }) call_type: string | null;
  @NStr() run_id: string | null;
  @NStr() source: string | null;
  @NStr() org_id: string | null;
  @NStr() user_id: string | null;
  @NObj() compaction_settings: Record<string, unknown> | null;
  @NObj() llm_config: Record<string, unknown> | null;
  @NObj() billing_context: Record<string, unknown> | null;
  @NInt({ description: 'The LLM request latency in milliseconds' }) latency_ms: number | null;
  @NStr() created_by_id: string | null;
  @NStr() last_updated_by_id: string | null;
  @Date_() created_at: string;
  @NDate() updated_at: string | null;
}

/** One span of `GET /v1/runs/:id/trace`, in the columns of the OTel collector's ClickHouse table. */
export class TraceSpanResponse {
  @Date_() Timestamp: string;
  @Str() TraceId: string;
  @Str() SpanId: string;
  @Str({ description: 'Empty for the root span' }) ParentSpanId: string;
  @Str() TraceState: string;
  @Str({ description: 'agent_run (root), time_to_first_token, agent_step, AgentLoop._execute_tool' })
  SpanName: string;
  @Str() SpanKind: string;
  @Str() ServiceName: string;
  @Obj() ResourceAttributes: Record<string, string>;
  @Str() ScopeName: string;
  @Str() ScopeVersion: string;
  @Obj() SpanAttributes: Record<string, string>;
  @Int({ description: 'Nanoseconds' }) Duration: number;
  @Str({ enum: ['Unset', 'Ok', 'Error'] }) StatusCode: string;
  @Str() StatusMessage: string;
  @ApiProperty({ name: 'Events.Timestamp', type: [String] }) 'Events.Timestamp': string[];
  @ApiProperty({ name: 'Events.Name', type: [String] }) 'Events.Name': string[];
  @ObjArr({ name: 'Events.Attributes' }) 'Events.Attributes': Record<string, string>[];
  @StrArr({ name: 'Links.TraceId' }) 'Links.TraceId': string[];
  @StrArr({ name: 'Links.SpanId' }) 'Links.SpanId': string[];
  @StrArr({ name: 'Links.TraceState' }) 'Links.TraceState': string[];
  @ObjArr({ name: 'Links.Attributes' }) 'Links.Attributes': Record<string, string>[];
}
