/**
 * Resuming a run that stopped on `requires_approval`: the approval response decides, per tool
 * call of the pending request, whether it runs (approved), fails with the user's reason
 * (denied) or takes a result the client computed (client-side tool return).
 */
import {
  AgentStateConflictError,
  commitStep,
  heartbeatMessage,
  StepClock,
  type LoopState,
} from './loop-state';
import { decideAfterTools } from './continuation';
import type { AgentMessage, StoredApproval } from './messages';
import type { StopReason } from './ports';
import { runToolCall, toolMessage, type ToolCallOutcome, type ToolRunContext } from './tool-execution';

type StepOutcome = { kind: 'continue' } | { kind: 'stop'; reason: StopReason };

export async function resumeApproval(
  s: LoopState,
  request: AgentMessage,
  isFinal: boolean,
): Promise<StepOutcome> {
  const { agent, runId } = s.input;
  const response = s.unsaved.find((m) => m.role === 'approval');
  if (!response)
    throw new AgentStateConflictError('An approval response is required to continue.', 'approval_pending');
  response.approvalRequestId = request.id;
  const decisions = new Map<string, StoredApproval>((response.approvals ?? []).map((a) => [a.toolCallId, a]));
  // Legacy single approve/deny without a tool_call_id applies to every call of the request.
  const fallback =
    response.approvals?.length === 1 && !response.approvals[0].toolCallId ? response.approvals[0] : undefined;
  const calls = request.toolCalls ?? [];
  for (const id of decisions.keys()) {
    if (id && !calls.some((c) => c.id === id))
      throw new AgentStateConflictError(
        `Tool call '${id}' is not part of the pending approval request.`,
        'invalid_approval',
      );
  }
  const stepId = s.ports.ids.next('step');
  const clock = new StepClock();
  const available = agent.tools.map((t) => t.name);
  const ctx: ToolRunContext = {
    ports: s.ports,
    agentId: agent.id,
    tools: agent.tools,
    allowedTools: available,
    solver: s.solver,
    timezone: agent.timezone,
    runId,
    stepId,
    signal: s.options.signal,
  };
  const outcomes: ToolCallOutcome[] = [];
  for (const call of calls) {
    const d = decisions.get(call.id) ?? fallback;
    if (d?.type === 'tool') {
      const message = toolMessage(ctx, call, d.status === 'success', d.toolReturn, {
        stdout: d.stdout,
        stderr: d.stderr,
      });
      s.solver.register(call.name, d.toolReturn);
      outcomes.push({
        call,
        success: d.status === 'success',
        requestHeartbeat: true,
        ruleViolated: false,
        message,
      });
    } else if (d && !d.approve) {
      const reason = d.reason ? ` Reason given: ${d.reason}` : '';
      const message = toolMessage(
        ctx,
        call,
        false,
        `Error: the user denied the request to run ${call.name}.${reason}`,
      );
      outcomes.push({ call, success: false, requestHeartbeat: true, ruleViolated: false, message });
    } else if (d || !s.solver.requiresApproval(call.name)) {
      outcomes.push(await clock.time('tool', () => runToolCall(call, ctx, true)));
    } else {
      throw new AgentStateConflictError(
        `No approval decision for tool call '${call.id}' (${call.name}).`,
        'invalid_approval',
      );
    }
  }
  const decision = decideAfterTools({
    memgpt: s.memgpt,
    calls: outcomes.map((o) => ({
      name: o.call.name,
      success: o.success,
      requestHeartbeat: o.requestHeartbeat,
      ruleViolated: o.ruleViolated,
    })),
    solver: s.solver,
    availableTools: available,
    isFinalStep: isFinal,
  });
  const stepMessages = outcomes.map((o) => o.message);
  if (decision.continue && decision.heartbeat)
    stepMessages.push(heartbeatMessage(s, decision.heartbeat, stepId));
  const stop = decision.continue ? null : (decision.stopReason ?? 'end_turn');
  const zero = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  await commitStep(s, stepId, stepMessages, zero, stop, { clock });
  return stop ? { kind: 'stop', reason: stop } : { kind: 'continue' };
}
