import type { ProviderTraceEntity } from './provider-trace.entity';
import { StepEntity, RunEntity } from './run.entity';

export function toRunDto(r: RunEntity) {
  return {
    id: r.id,
    agent_id: r.agentId,
    status: r.status,
    stop_reason: r.stopReason,
    background: r.background,
    request_config: r.requestConfig,
    metadata: { ...(r.metadata ?? {}), ...(r.error ? { error: r.error } : {}) },
    callback_url: r.callbackUrl,
    callback_sent_at: r.callbackSentAt?.toISOString() ?? null,
    callback_status_code: r.callbackStatusCode ?? null,
    callback_error: r.callbackError ?? null,
    conversation_id: r.conversationId ?? null,
    base_template_id: null,
    created_at: r.createdAt.toISOString(),
    completed_at: r.completedAt?.toISOString() ?? null,
    ttft_ns: r.ttftNs === null ? null : Number(r.ttftNs),
    total_duration_ns: r.totalDurationNs === null ? null : Number(r.totalDurationNs),
  };
}

export function toStepDto(s: StepEntity) {
  return {
    id: s.id,
    agent_id: s.agentId,
    run_id: s.runId,
    status: s.status,
    stop_reason: s.stopReason,
    provider_name: s.providerName,
    provider_category: 'base',
    model: s.model,
    model_handle: s.modelHandle,
    model_endpoint: s.modelEndpoint,
    context_window_limit: s.contextWindowLimit,
    prompt_tokens: s.promptTokens,
    completion_tokens: s.completionTokens,
    total_tokens: s.totalTokens,
    cached_input_tokens: s.cachedInputTokens,
    reasoning_tokens: s.reasoningTokens,
    feedback: s.feedback,
    tags: s.tags,
    error_type: s.errorType,
    error_data: s.errorData,
    origin: null,
    project_id: null,
    trace_id: null,
    created_at: s.createdAt.toISOString(),
  };
}

/** Letta's StepMetrics: where the step's time went (null for steps recorded before timings were). */
export function toStepMetricsDto(s: StepEntity) {
  const ns = (v: string | null): number | null => (v === null ? null : Number(v));
  return {
    id: s.id,
    agent_id: s.agentId,
    run_id: s.runId,
    step_ns: ns(s.stepNs),
    llm_request_ns: ns(s.llmRequestNs),
    tool_execution_ns: ns(s.toolExecutionNs),
    step_start_ns: null,
    llm_request_start_ns: null,
    provider_id: null,
    project_id: null,
    template_id: null,
    base_template_id: null,
  };
}

/** Letta's ProviderTrace: the stored request and response, with the step's facts around them. */
export function toProviderTraceDto(t: ProviderTraceEntity, step: StepEntity) {
  return {
    id: t.id,
    request_json: t.requestJson,
    response_json: t.responseJson,
    step_id: t.stepId,
    agent_id: t.agentId,
    agent_tags: null,
    call_type: t.callType,
    run_id: t.runId,
    source: 'engram',
    org_id: t.organizationId,
    user_id: t.createdById,
    compaction_settings: null,
    llm_config: null,
    billing_context: null,
    latency_ms: step.llmRequestNs === null ? null : Math.round(Number(step.llmRequestNs) / 1e6),
    created_by_id: t.createdById,
    last_updated_by_id: null,
    created_at: t.createdAt.toISOString(),
    updated_at: null,
  };
}
