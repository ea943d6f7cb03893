import { VERSION } from '../common/version';
import type { RunEntity, StepEntity } from './run.entity';

/**
 * One span of a run's trace, in the columns of the OpenTelemetry collector's ClickHouse
 * `otel_traces` table, which is what Letta's `GET /v1/runs/:id/trace` answers (its rows, with the
 * nested Events and Links as parallel arrays). Times are ISO 8601, durations nanoseconds,
 * attribute maps of strings.
 */
export type TraceSpan = Record<string, unknown>;

const SERVICE = 'engram';

/** The 32 hex digits of a prefixed uuid id (`run-<uuid>`): the run's trace id, span id parts. */
function hex(id: string): string {
  return id.slice(id.indexOf('-') + 1).replace(/-/g, '');
}

function attrs(values: Record<string, string | number | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

interface SpanInput {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind?: string;
  start: Date;
  durationNs: number;
  status?: 'Unset' | 'Ok' | 'Error';
  statusMessage?: string;
  attributes: Record<string, string>;
  events?: Array<{ at: Date; name: string; attributes: Record<string, string> }>;
}

function span(s: SpanInput): TraceSpan {
  const events = s.events ?? [];
  return {
    Timestamp: s.start.toISOString(),
    TraceId: s.traceId,
    SpanId: s.spanId,
    ParentSpanId: s.parentSpanId,
    TraceState: '',
    SpanName: s.name,
    SpanKind: s.kind ?? 'Internal',
    ServiceName: SERVICE,
    ResourceAttributes: { 'service.name': SERVICE, 'service.version': VERSION },
    ScopeName: SERVICE,
    ScopeVersion: VERSION,
    SpanAttributes: s.attributes,
    Duration: Math.max(0, Math.round(s.durationNs)),
    StatusCode: s.status ?? 'Unset',
    StatusMessage: s.statusMessage ?? '',
    'Events.Timestamp': events.map((e) => e.at.toISOString()),
    'Events.Name': events.map((e) => e.name),
    'Events.Attributes': events.map((e) => e.attributes),
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  };
}

const ms = (ns: number) => (ns / 1e6).toFixed(3);

/**
 * The spans Letta's trace viewer reads, rebuilt from what Engram stores of the run: the root span
 * (the run), `time_to_first_token`, one `agent_step` per step and, for a step that ran tools, one
 * `AgentLoop._execute_tool` span covering them (tools of a step run one after another; Engram
 * times them together). The trace id is the run id's uuid; span ids derive from the run and step
 * ids, so the same run always answers the same trace. Ordered by start time, at most `limit`.
 */
export function runTraceSpans(
  run: RunEntity,
  steps: StepEntity[],
  limit: number,
  now = new Date(),
): TraceSpan[] {
  const traceId = hex(run.id);
  const rootId = traceId.slice(16);
  const ended = run.completedAt !== null;
  const totalNs =
    run.totalDurationNs !== null
      ? Number(run.totalDurationNs)
      : (now.getTime() - run.createdAt.getTime()) * 1e6;
  const spans: TraceSpan[] = [
    span({
      traceId,
      spanId: rootId,
      parentSpanId: '',
      name: 'agent_run',
      kind: 'Server',
      start: run.createdAt,
      durationNs: totalNs,
      status: !ended ? 'Unset' : run.status === 'failed' ? 'Error' : 'Ok',
      statusMessage: run.error?.message,
      attributes: attrs({
        run_id: run.id,
        agent_id: run.agentId,
        conversation_id: run.conversationId,
        status: run.status,
        stop_reason: run.stopReason,
        background: String(run.background),
      }),
    }),
  ];
  if (run.ttftNs !== null) {
    const ttft = Number(run.ttftNs);
    spans.push(
      span({
        traceId,
        spanId: traceId.slice(0, 16),
        parentSpanId: rootId,
        name: 'time_to_first_token',
        start: run.createdAt,
        durationNs: ttft,
        attributes: attrs({ run_id: run.id }),
        events: [
          {
            at: new Date(run.createdAt.getTime() + ttft / 1e6),
            name: 'time_to_first_token_ms',
            attributes: { ttft_ms: ms(ttft) },
          },
        ],
      }),
    );
  }
  for (const step of steps) {
    const stepNs = step.stepNs === null ? 0 : Number(step.stepNs);
    const llmNs = step.llmRequestNs === null ? 0 : Number(step.llmRequestNs);
    const toolNs = step.toolExecutionNs === null ? 0 : Number(step.toolExecutionNs);
    // The step row is written when the step ends.
    const start = new Date(step.createdAt.getTime() - stepNs / 1e6);
    const stepSpanId = hex(step.id).slice(0, 16);
    spans.push(
      span({
        traceId,
        spanId: stepSpanId,
        parentSpanId: rootId,
        name: 'agent_step',
        start,
        durationNs: stepNs,
        status: step.status === 'failed' ? 'Error' : 'Ok',
        attributes: attrs({
          step_id: step.id,
          run_id: run.id,
          agent_id: step.agentId,
          step_index: step.stepIndex,
          model: step.model,
          model_handle: step.modelHandle,
          provider_name: step.providerName,
          stop_reason: step.stopReason,
          prompt_tokens: step.promptTokens,
          completion_tokens: step.completionTokens,
          total_tokens: step.totalTokens,
        }),
        events: [
          { at: start, name: 'llm_request_ms', attributes: { duration_ms: ms(llmNs) } },
          { at: step.createdAt, name: 'step_ms', attributes: { duration_ms: ms(stepNs) } },
        ],
      }),
    );
    if (toolNs > 0)
      spans.push(
        span({
          traceId,
          spanId: hex(step.id).slice(16),
          parentSpanId: stepSpanId,
          name: 'AgentLoop._execute_tool',
          start: new Date(start.getTime() + llmNs / 1e6),
          durationNs: toolNs,
          attributes: attrs({ step_id: step.id, tool_execution_ns: toolNs }),
        }),
      );
  }
  return spans
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (a.s.Timestamp as string).localeCompare(b.s.Timestamp as string) || a.i - b.i)
    .slice(0, limit)
    .map(({ s }) => s);
}
