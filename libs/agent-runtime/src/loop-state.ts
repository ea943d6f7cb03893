/** Shared state of one run and the single place a step is persisted and emitted. */
import type { LlmLogprobs, LlmProviderTrace, LlmResponse } from '@engram/llm/types';
import { toLettaMessages, type LettaMessageOptions } from './letta-messages';
import type { AgentMessage } from './messages';
import { formatLocalTime, packHeartbeat } from './packing';
import type { CompactionInfo, StepTiming, StopReason } from './ports';
import type { AgentPorts, LettaUsage, RunAgentInput, RunAgentOptions } from './runtime-types';
import type { ToolRulesSolver } from './tool-rules';

export const DEFAULT_MAX_STEPS = 50;

/** The request conflicts with the agent's state (e.g. a new message while an approval is pending). */
export class AgentStateConflictError extends Error {
  constructor(
    message: string,
    readonly code: 'approval_pending' | 'no_pending_approval' | 'invalid_approval',
  ) {
    super(message);
    this.name = 'AgentStateConflictError';
  }
}

export interface LoopState {
  input: RunAgentInput;
  options: RunAgentOptions;
  ports: AgentPorts & Required<Pick<AgentPorts, 'clock' | 'ids'>>;
  memgpt: boolean;
  solver: ToolRulesSolver;
  inContext: AgentMessage[];
  /** Input messages not yet persisted (they go with the first persisted step). */
  unsaved: AgentMessage[];
  allNew: AgentMessage[];
  usage: LettaUsage;
  stepIndex: number;
  wire: LettaMessageOptions;
  /** The last LLM call's log probabilities (when asked for). */
  logprobs?: LlmLogprobs | null;
}

export function emptyUsage(runId?: string): LettaUsage {
  return {
    message_type: 'usage_statistics',
    completion_tokens: 0,
    prompt_tokens: 0,
    total_tokens: 0,
    step_count: 0,
    run_ids: runId ? [runId] : null,
    cached_input_tokens: null,
    reasoning_tokens: null,
    context_tokens: null,
  };
}

export function addUsage(u: LettaUsage, r: LlmResponse): void {
  u.prompt_tokens += r.usage.promptTokens;
  u.completion_tokens += r.usage.completionTokens;
  u.total_tokens += r.usage.totalTokens;
  if (r.usage.cachedInputTokens !== undefined)
    u.cached_input_tokens = (u.cached_input_tokens ?? 0) + r.usage.cachedInputTokens;
  if (r.usage.reasoningTokens !== undefined)
    u.reasoning_tokens = (u.reasoning_tokens ?? 0) + r.usage.reasoningTokens;
  u.context_tokens = r.usage.promptTokens;
}

export function heartbeatMessage(s: LoopState, text: string, stepId: string): AgentMessage {
  const now = s.ports.clock.now();
  return {
    id: s.ports.ids.next('message'),
    role: 'user',
    content: [{ type: 'text', text: packHeartbeat(text, formatLocalTime(now, s.input.agent.timezone)) }],
    runId: s.input.runId ?? null,
    stepId,
    createdAt: now,
  };
}

/** Measures one step: started when made, LLM and tool time added by the loop. */
export class StepClock {
  private readonly started = process.hrtime.bigint();
  llmRequestNs = 0;
  toolExecutionNs = 0;

  /** Runs `fn`, adding its duration to `kind`. */
  async time<T>(kind: 'llm' | 'tool', fn: () => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    try {
      return await fn();
    } finally {
      const ns = Number(process.hrtime.bigint() - t0);
      if (kind === 'llm') this.llmRequestNs += ns;
      else this.toolExecutionNs += ns;
    }
  }

  read(): StepTiming {
    return {
      stepNs: Number(process.hrtime.bigint() - this.started),
      llmRequestNs: this.llmRequestNs,
      toolExecutionNs: this.toolExecutionNs,
    };
  }
}

/** Persist one step (exactly one store call), update the context, emit its final messages. */
export async function commitStep(
  s: LoopState,
  stepId: string,
  stepMessages: AgentMessage[],
  usage: LlmResponse['usage'],
  stopReason: StopReason | null,
  opts: {
    compaction?: CompactionInfo;
    contextBefore?: AgentMessage[];
    extraNew?: AgentMessage[];
    streamed?: Map<string, Set<string>>;
    systemMessage?: AgentMessage;
    clock?: StepClock;
    providerTrace?: LlmProviderTrace;
  } = {},
): Promise<void> {
  const messages = [...s.unsaved, ...(opts.extraNew ?? []), ...stepMessages];
  for (const m of messages) {
    m.stepId ??= stepId;
    m.runId ??= s.input.runId ?? null;
  }
  const context = [...(opts.contextBefore ?? [...s.inContext, ...s.unsaved]), ...stepMessages];
  await s.ports.store.persistStep({
    agentId: s.input.agent.id,
    runId: s.input.runId,
    stepId,
    stepIndex: s.stepIndex,
    model: s.input.agent.model,
    provider: s.ports.llm.provider,
    messages,
    inContextMessageIds: context.map((m) => m.id),
    usage,
    stopReason,
    runUsage: { ...s.usage, step_count: s.usage.step_count + 1 },
    compaction: opts.compaction,
    systemMessage: opts.systemMessage,
    timing: opts.clock?.read(),
    providerTrace: opts.providerTrace,
  });
  s.unsaved = [];
  s.inContext = context;
  s.allNew.push(...messages);
  s.usage.step_count += 1;
  s.stepIndex += 1;
  if (!s.ports.events) return;
  for (const m of stepMessages) {
    if (m.role === 'user' || m.role === 'summary' || m.role === 'system') continue;
    const already = opts.streamed?.get(m.id);
    for (const w of toLettaMessages(m, s.wire)) {
      if (already?.has(w.message_type ?? '')) continue;
      await s.ports.events.emit(w);
    }
  }
}
