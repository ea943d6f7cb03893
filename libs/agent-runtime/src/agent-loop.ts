/**
 * The Letta agent loop: compile prompt → LLM → tools → persist the step once → emit → decide.
 * Plain TypeScript over ports; see runtime-types.ts for the inputs and ports.ts for the ports.
 */
import { LlmError, type LlmRequest, type LlmResponse, type LlmToolDefinition } from '@engram/llm/types';
import { callLlm } from './llm-call';
import { decideAfterTools, decideWithoutTools, type Continuation } from './continuation';
import { DEFAULT_LETTA_MESSAGE_OPTIONS, toLettaMessages } from './letta-messages';
import { fromLettaInput, toLlmMessages } from './message-input';
import { AgentMessage, MessageContentPart, otidFor, pendingApprovalRequest, textOf } from './messages';
import { compileSystemPrompt } from './prompt';
import { systemClock, uuidIds, type CompactionInfo, type LettaStreamChunk, type StopReason } from './ports';
import type { AgentPorts, RunAgentInput, RunAgentOptions, RunAgentResult } from './runtime-types';
import { summarizeIfNeeded } from './summarizer';
import { estimateRequestTokens } from './tokens';
import { runToolCall, type ToolCallOutcome, type ToolRunContext } from './tool-execution';
import { ToolRuleError, ToolRulesSolver } from './tool-rules';
import { baseToolRulesFor, isMemgptStyle } from './tools/agent-types';
import { toDefinition, withHeartbeat } from './tools/definitions';
import { resumeApproval } from './approvals';

import {
  addUsage,
  AgentStateConflictError,
  commitStep,
  StepClock,
  DEFAULT_MAX_STEPS,
  emptyUsage,
  heartbeatMessage,
  type LoopState,
} from './loop-state';

export { AgentStateConflictError, DEFAULT_MAX_STEPS };

function toolDefinitions(s: LoopState, allowed: string[]): LlmToolDefinition[] {
  return s.input.agent.tools
    .filter((t) => allowed.includes(t.name))
    .map((t) => (s.memgpt && !s.solver.isTerminal(t.name) ? withHeartbeat(t) : toDefinition(t)));
}

async function isCancelled(s: LoopState): Promise<boolean> {
  if (s.options.signal?.aborted) return true;
  return s.ports.isCancelled ? Boolean(await s.ports.isCancelled()) : false;
}

async function compilePrompt(s: LoopState): Promise<string> {
  const { agent } = s.input;
  const [blocks, recallCount, archivalCount, tags, sections] = await Promise.all([
    s.ports.memory.getBlocks(),
    s.ports.recall ? s.ports.recall.count() : Promise.resolve(0),
    s.ports.archival ? s.ports.archival.count() : Promise.resolve(0),
    s.ports.archival?.listTags ? s.ports.archival.listTags() : Promise.resolve([]),
    s.ports.memory.getPromptSections ? s.ports.memory.getPromptSections() : Promise.resolve([]),
  ]);
  return compileSystemPrompt({
    sections,
    system: agent.system,
    blocks,
    now: s.ports.clock.now(),
    timezone: agent.timezone,
    recallMessageCount: recallCount,
    archivalPassageCount: archivalCount,
    archiveTags: tags,
    toolRules: s.solver.describe(),
  });
}

function assistantContent(r: LlmResponse): MessageContentPart[] {
  const parts: MessageContentPart[] = [];
  if (r.reasoning) parts.push({ type: 'reasoning', reasoning: r.reasoning, isNative: true });
  if (r.content) parts.push({ type: 'text', text: r.content });
  return parts;
}

type StepOutcome =
  { kind: 'continue' } | { kind: 'stop'; reason: StopReason; error?: { type: string; message: string } };

async function llmStep(s: LoopState, isFinal: boolean): Promise<StepOutcome> {
  const { agent, runId } = s.input;
  const stepId = s.ports.ids.next('step');
  const clock = new StepClock();
  const systemPrompt = await compilePrompt(s);
  const available = agent.tools.map((t) => t.name);
  let allowed: string[];
  try {
    allowed = s.solver.allowedTools(available);
  } catch (e) {
    if (e instanceof ToolRuleError)
      return { kind: 'stop', reason: 'tool_rule', error: { type: 'tool_rule', message: e.message } };
    throw e;
  }
  const tools = toolDefinitions(s, allowed);
  if (
    (await estimateRequestTokens([{ role: 'system', content: systemPrompt }], tools)) > agent.contextWindow
  ) {
    return {
      kind: 'stop',
      reason: 'context_window_overflow_in_system_prompt',
      error: {
        type: 'context_window_overflow',
        message: 'The system prompt and tool schemas alone exceed the context window.',
      },
    };
  }

  // Keep the stored system message in step with the compiled prompt (same id, new text).
  let systemMessage: AgentMessage | undefined;
  const storedSystem = s.inContext[0];
  if (storedSystem?.role === 'system' && textOf(storedSystem) !== systemPrompt) {
    systemMessage = { ...storedSystem, content: [{ type: 'text', text: systemPrompt }] };
  }
  let context = [...(systemMessage ? [systemMessage, ...s.inContext.slice(1)] : s.inContext), ...s.unsaved];
  let compaction: CompactionInfo | undefined;
  let summaryMessages: AgentMessage[] = [];
  const summarize = async (force: boolean): Promise<void> => {
    const r = await summarizeIfNeeded({
      inContext: context,
      systemPrompt,
      tools,
      llm: s.ports.llm,
      model: agent.model,
      contextWindow: agent.contextWindow,
      ids: s.ports.ids,
      clock: s.ports.clock,
      timezone: agent.timezone,
      runId,
      force,
      threshold: s.options.summarizeThreshold,
      signal: s.options.signal,
    });
    if (!r.summarized) return;
    context = r.inContext;
    summaryMessages = [r.summaryMessage];
    compaction = r.compaction;
    if (s.options.includeCompactionMessages) await emitCompaction(s, r.summaryMessage, r.compaction, force);
  };

  const assistantId = s.ports.ids.next('message');
  const toolChoice =
    tools.length && (s.solver.mustCallTool() || s.memgpt) ? 'required' : tools.length ? 'auto' : undefined;
  let response: LlmResponse;
  let streamed = new Set<string>();
  for (let attempt = 0; ; attempt++) {
    try {
      await summarize(attempt > 0);
      const request: LlmRequest = {
        model: agent.model,
        messages: toLlmMessages(context, s.options.overrideSystem ?? systemPrompt),
        ...(tools.length ? { tools, toolChoice } : {}),
        temperature: agent.temperature,
        maxTokens: agent.maxTokens,
        parallelToolCalls: agent.parallelToolCalls,
        signal: s.options.signal,
        ...(s.options.logprobs ? { logprobs: s.options.logprobs } : {}),
      };
      const r = await clock.time('llm', () =>
        callLlm(request, {
          llm: s.ports.llm,
          events: s.ports.events,
          streamTokens: Boolean(s.options.streamTokens),
          assistantMessageId: assistantId,
          runId,
          stepId,
          date: s.ports.clock.now(),
          textIsAssistantMessage: !s.memgpt,
          hiddenToolName:
            s.wire.useAssistantMessage && s.memgpt ? s.wire.assistantMessageToolName : undefined,
        }),
      );
      response = r.response;
      streamed = r.streamed;
      break;
    } catch (e) {
      if (s.options.signal?.aborted || (e instanceof LlmError && e.kind === 'cancelled'))
        return { kind: 'stop', reason: 'cancelled' };
      if (e instanceof LlmError && e.kind === 'context_window_exceeded' && attempt === 0) continue;
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof LlmError)
        return { kind: 'stop', reason: 'llm_api_error', error: { type: `llm_${e.kind}`, message } };
      return { kind: 'stop', reason: 'error', error: { type: 'internal_error', message } };
    }
  }
  addUsage(s.usage, response);
  if (s.options.logprobs) s.logprobs = response.logprobs ?? null;

  const now = s.ports.clock.now();
  const calls = response.toolCalls.map((c) => ({
    id: c.id || s.ports.ids.next('tool_call'),
    name: c.name,
    arguments: c.arguments,
  }));
  const assistant: AgentMessage = {
    id: assistantId,
    role: 'assistant',
    content: assistantContent(response),
    toolCalls: calls.length ? calls : null,
    runId: runId ?? null,
    stepId,
    createdAt: now,
    model: agent.model,
  };
  const streamedMap = new Map([[assistantId, streamed]]);
  const commit = (msgs: AgentMessage[], stop: StopReason | null): Promise<void> =>
    commitStep(s, stepId, msgs, response.usage, stop, {
      compaction,
      contextBefore: context,
      extraNew: summaryMessages,
      streamed: streamedMap,
      systemMessage,
      clock,
      providerTrace: response.providerTrace,
    });

  if (calls.some((c) => !c.name)) {
    await commit(assistant.content.length ? [{ ...assistant, toolCalls: null }] : [], 'invalid_tool_call');
    return { kind: 'stop', reason: 'invalid_tool_call' };
  }

  let decision: Continuation;
  const stepMessages: AgentMessage[] = [];
  if (!calls.length) {
    decision = decideWithoutTools({
      memgpt: s.memgpt,
      solver: s.solver,
      availableTools: available,
      isFinalStep: isFinal,
      finishReason: response.finishReason,
    });
    if (assistant.content.length) stepMessages.push(assistant);
  } else if (calls.some((c) => s.solver.requiresApproval(c.name))) {
    stepMessages.push({ ...assistant, role: 'approval' });
    await commit(stepMessages, 'requires_approval');
    return { kind: 'stop', reason: 'requires_approval' };
  } else {
    stepMessages.push(assistant);
    const ctx: ToolRunContext = {
      ports: s.ports,
      agentId: agent.id,
      tools: agent.tools,
      allowedTools: allowed,
      solver: s.solver,
      timezone: agent.timezone,
      runId,
      stepId,
      signal: s.options.signal,
    };
    const outcomes: ToolCallOutcome[] = [];
    for (const call of calls) {
      const o = await clock.time('tool', () => runToolCall(call, ctx));
      outcomes.push(o);
      stepMessages.push(o.message);
    }
    decision = decideAfterTools({
      memgpt: s.memgpt,
      calls: outcomes.map((o) => ({ name: o.call.name, ...o })),
      solver: s.solver,
      availableTools: available,
      isFinalStep: isFinal,
    });
  }
  if (decision.continue && decision.heartbeat)
    stepMessages.push(heartbeatMessage(s, decision.heartbeat, stepId));
  const stop = decision.continue ? null : (decision.stopReason ?? 'end_turn');
  await commit(stepMessages, stop);
  return stop ? { kind: 'stop', reason: stop } : { kind: 'continue' };
}

/** Run the agent on new input until it stops. Never throws for LLM or tool failures. */
export async function runAgent(
  input: RunAgentInput,
  ports: AgentPorts,
  options: RunAgentOptions = {},
): Promise<RunAgentResult> {
  const fullPorts = { ...ports, clock: ports.clock ?? systemClock, ids: ports.ids ?? uuidIds };
  const memgpt = isMemgptStyle(input.agent.agentType);
  const rules = [...(input.agent.toolRules ?? [])];
  const clientTools = options.clientTools ?? [];
  if (clientTools.length) {
    // A client tool shadows an attached tool of the same name, as in Letta; its calls wait for
    // the client like a tool that requires approval.
    const names = new Set(clientTools.map((t) => t.name));
    const specs = clientTools.map((t) => ({
      name: t.name,
      description: t.description ?? '',
      parameters: t.parameters ?? { type: 'object', properties: {}, required: [] },
    }));
    input = {
      ...input,
      agent: { ...input.agent, tools: [...input.agent.tools.filter((t) => !names.has(t.name)), ...specs] },
    };
    for (const name of names) rules.push({ type: 'requires_approval', tool_name: name });
  }
  for (const r of baseToolRulesFor(input.agent.agentType)) {
    if (
      input.agent.tools.some((t) => t.name === r.tool_name) &&
      !rules.some((x) => x.tool_name === r.tool_name && x.type === r.type)
    )
      rules.push(r);
  }
  const s: LoopState = {
    input,
    options,
    ports: fullPorts,
    memgpt,
    solver: new ToolRulesSolver(rules),
    inContext: [...input.inContextMessages],
    unsaved: fromLettaInput(input.input, { ids: fullPorts.ids, clock: fullPorts.clock, runId: input.runId }),
    allNew: [],
    usage: emptyUsage(input.runId),
    stepIndex: 0,
    wire: {
      ...DEFAULT_LETTA_MESSAGE_OPTIONS,
      useAssistantMessage: options.useAssistantMessage ?? true,
      assistantMessageToolName: options.assistantMessageToolName ?? 'send_message',
      assistantMessageToolKwarg: options.assistantMessageToolKwarg ?? 'message',
      textIsAssistantMessage: !memgpt,
    },
  };
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const pending = pendingApprovalRequest(s.inContext);
  const approvalInputs = s.unsaved.filter((m) => m.role === 'approval');
  if (pending && !approvalInputs.length && s.unsaved.length) {
    throw new AgentStateConflictError(
      'The agent is waiting for a tool approval; send an approval response first.',
      'approval_pending',
    );
  }
  if (approvalInputs.length && !pending)
    throw new AgentStateConflictError(
      'There is no pending approval request to respond to.',
      'no_pending_approval',
    );

  let outcome: StepOutcome = { kind: 'continue' };
  if (pending) outcome = await resumeApproval(s, pending, maxSteps <= 1);
  while (outcome.kind === 'continue') {
    if (s.stepIndex >= maxSteps) {
      outcome = { kind: 'stop', reason: 'max_steps' };
      break;
    }
    if (await isCancelled(s)) {
      outcome = { kind: 'stop', reason: 'cancelled' };
      break;
    }
    outcome = await llmStep(s, s.stepIndex === maxSteps - 1);
  }
  const stopReason = outcome.kind === 'stop' ? outcome.reason : 'end_turn';
  const error = outcome.kind === 'stop' ? outcome.error : undefined;
  if (s.ports.events) {
    if (error)
      await s.ports.events.emit({
        message_type: 'error_message',
        error_type: error.type,
        message: error.message,
        run_id: input.runId ?? '',
      });
    if (options.emitFinishChunks !== false) {
      await s.ports.events.emit({ message_type: 'stop_reason', stop_reason: stopReason });
      await s.ports.events.emit({ ...s.usage });
    }
  }
  return {
    messages: s.allNew,
    stopReason,
    usage: s.usage,
    inContextMessageIds: s.inContext.map((m) => m.id),
    ...(error ? { error } : {}),
    ...(options.logprobs ? { logprobs: s.logprobs ?? null } : {}),
  };
}

/** Letta's compaction chunks: an `event_message` saying why, then the `summary_message`. */
async function emitCompaction(
  s: LoopState,
  summary: AgentMessage,
  info: CompactionInfo,
  forced: boolean,
): Promise<void> {
  if (!s.ports.events) return;
  const trigger = forced ? 'context_window_exceeded' : 'post_step_context_check';
  await s.ports.events.emit({
    id: summary.id,
    date: summary.createdAt.toISOString(),
    message_type: 'event_message',
    event_type: 'compaction',
    event_data: { trigger },
    otid: otidFor(summary.id, 0),
    name: null,
    sender_id: null,
    is_err: null,
    run_id: s.input.runId ?? null,
    step_id: null,
  });
  for (const w of toLettaMessages(summary, { ...s.wire, summaryAsSummaryMessage: true }))
    await s.ports.events.emit({
      ...w,
      otid: otidFor(summary.id, 1),
      compaction_stats: {
        trigger,
        context_window: s.input.agent.contextWindow,
        messages_count_before: info.messagesCountBefore,
        messages_count_after: info.messagesCountAfter,
        context_tokens_before: info.tokensBefore,
        context_tokens_after: info.tokensAfter,
      },
    } as LettaStreamChunk);
}
