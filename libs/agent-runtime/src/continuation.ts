/** Whether the loop goes on after a step, and why it stops (Letta's _decide_continuation, v2 and v3). */
import { HEARTBEAT_AFTER_FAILURE, HEARTBEAT_REQUESTED, HIDDEN_PREFIX } from './packing';
import type { StopReason } from './ports';
import type { ToolRulesSolver } from './tool-rules';

export interface Continuation {
  continue: boolean;
  /** Text of a heartbeat message to add (the model reads it on the next step). */
  heartbeat: string | null;
  stopReason: StopReason | null;
}

export interface ToolStepFacts {
  memgpt: boolean;
  calls: Array<{ name: string; success: boolean; requestHeartbeat: boolean; ruleViolated: boolean }>;
  solver: ToolRulesSolver;
  availableTools: string[];
  isFinalStep: boolean;
}

/** After a step that called tools. */
export function decideAfterTools(f: ToolStepFacts): Continuation {
  let cont = f.memgpt ? f.calls.some((c) => c.requestHeartbeat || !c.success) : true;
  let reason: string | null = null;
  let stop: StopReason | null = null;
  if (f.calls.some((c) => c.ruleViolated)) {
    cont = true;
    reason = `${HIDDEN_PREFIX}Continuing: a tool call broke the tool rules.`;
  } else {
    const requested = f.memgpt ? f.calls.some((c) => c.requestHeartbeat) : true;
    for (const c of f.calls) {
      if (f.solver.isTerminal(c.name)) {
        if (requested) stop = 'tool_rule';
        cont = false;
        reason = null;
        break;
      }
      if (f.solver.hasChildren(c.name)) {
        cont = true;
        reason = `${HIDDEN_PREFIX}Continuing: the tool rules name the next tool.`;
      } else if (f.solver.isContinue(c.name)) {
        cont = true;
        reason = `${HIDDEN_PREFIX}Continuing: a continue rule applies to ${c.name}.`;
      }
    }
  }
  if (f.isFinalStep) return { continue: false, heartbeat: null, stopReason: 'max_steps' };
  const uncalled = f.solver.uncalledRequired(f.availableTools);
  if (!cont && uncalled.length) {
    return {
      continue: true,
      heartbeat: `${HIDDEN_PREFIX}Continuing: you still have to call ${uncalled.join(', ')}.`,
      stopReason: null,
    };
  }
  if (cont && f.memgpt && !reason)
    reason = f.calls.every((c) => c.success) ? HEARTBEAT_REQUESTED : HEARTBEAT_AFTER_FAILURE;
  return { continue: cont, heartbeat: cont ? reason : null, stopReason: cont ? null : stop };
}

/** After a step whose response had no tool call (letta_v1: the reply; memgpt: a protocol error). */
export function decideWithoutTools(f: {
  memgpt: boolean;
  solver: ToolRulesSolver;
  availableTools: string[];
  isFinalStep: boolean;
  finishReason: string;
}): Continuation {
  if (f.memgpt) return { continue: false, heartbeat: null, stopReason: 'no_tool_call' };
  const uncalled = f.solver.uncalledRequired(f.availableTools);
  if (uncalled.length && !f.isFinalStep) {
    return {
      continue: true,
      heartbeat: `${HIDDEN_PREFIX}Tool rule not met: call ${uncalled.join(', ')} at least once before finishing.`,
      stopReason: null,
    };
  }
  if (f.finishReason === 'length')
    return { continue: false, heartbeat: null, stopReason: 'max_tokens_exceeded' };
  return { continue: false, heartbeat: null, stopReason: 'end_turn' };
}
