/** Executes the tool calls of one step and turns each result into a stored tool message. */
import type { AgentMessage, StoredToolCall } from './messages';
import { formatLocalTime, packToolResponse } from './packing';
import type { AgentPorts } from './runtime-types';
import type { ToolExecutionResult } from './ports';
import { executeBaseTool } from './tools/base-executor';
import { BASE_TOOL_NAMES, REQUEST_HEARTBEAT, type ToolSpec } from './tools/definitions';
import type { ToolRulesSolver } from './tool-rules';

/** Search tools return long listings on purpose; their results are not cut. */
const UNTRUNCATED = new Set(['conversation_search', 'archival_memory_search']);
export const DEFAULT_RETURN_CHAR_LIMIT = 50_000;

export interface ToolCallOutcome {
  call: StoredToolCall;
  success: boolean;
  requestHeartbeat: boolean;
  ruleViolated: boolean;
  message: AgentMessage;
}

export interface ToolRunContext {
  ports: Required<Pick<AgentPorts, 'clock' | 'ids'>> & AgentPorts;
  agentId: string;
  tools: ToolSpec[];
  allowedTools: string[];
  solver: ToolRulesSolver;
  timezone?: string | null;
  runId?: string;
  stepId: string;
  signal?: AbortSignal;
}

export function parseArgs(raw: string): { args: Record<string, unknown> } | { error: string } {
  try {
    const parsed: unknown = JSON.parse(raw.trim() === '' ? '{}' : raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      return { error: 'Tool arguments must be a JSON object.' };
    return { args: parsed as Record<string, unknown> };
  } catch (e) {
    return {
      error: `Tool arguments are not valid JSON (${(e as Error).message}). Send a JSON object that matches the tool's schema.`,
    };
  }
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function truncate(text: string, name: string, spec?: ToolSpec): string {
  if (UNTRUNCATED.has(name)) return text;
  const limit = spec?.returnCharLimit ?? DEFAULT_RETURN_CHAR_LIMIT;
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}... [cut ${text.length - limit} characters: the result exceeded the ${limit}-character limit]`;
}

export function toolMessage(
  ctx: Pick<ToolRunContext, 'ports' | 'timezone' | 'runId' | 'stepId'>,
  call: StoredToolCall,
  success: boolean,
  funcReturn: string,
  extra: { stdout?: string[] | null; stderr?: string[] | null } = {},
): AgentMessage {
  const now = ctx.ports.clock.now();
  const packed = packToolResponse(success, funcReturn, formatLocalTime(now, ctx.timezone));
  return {
    id: ctx.ports.ids.next('message'),
    role: 'tool',
    content: [{ type: 'text', text: packed }],
    name: call.name,
    toolCallId: call.id,
    toolReturns: [
      {
        toolCallId: call.id,
        status: success ? 'success' : 'error',
        funcResponse: packed,
        stdout: extra.stdout ?? null,
        stderr: extra.stderr ?? null,
      },
    ],
    runId: ctx.runId ?? null,
    stepId: ctx.stepId,
    createdAt: now,
  };
}

async function execute(
  name: string,
  args: Record<string, unknown>,
  call: StoredToolCall,
  ctx: ToolRunContext,
): Promise<ToolExecutionResult> {
  if (BASE_TOOL_NAMES.has(name)) {
    return executeBaseTool(name, args, {
      memory: ctx.ports.memory,
      archival: ctx.ports.archival,
      recall: ctx.ports.recall,
      timezone: ctx.timezone,
    });
  }
  if (!ctx.ports.tools) throw new Error(`No executor is configured for tool '${name}'.`);
  return ctx.ports.tools.execute({
    name,
    args,
    toolCallId: call.id,
    agentId: ctx.agentId,
    runId: ctx.runId,
    stepId: ctx.stepId,
    signal: ctx.signal,
  });
}

/**
 * Run one tool call. Never throws: invalid JSON, an unknown or disallowed tool and any error the
 * tool raises come back as a failed tool message the model can read. `skipRuleCheck` is for
 * calls the user approved (they were valid when requested).
 */
export async function runToolCall(
  call: StoredToolCall,
  ctx: ToolRunContext,
  skipRuleCheck = false,
): Promise<ToolCallOutcome> {
  const parsed = parseArgs(call.arguments);
  let args: Record<string, unknown> = 'args' in parsed ? { ...parsed.args } : {};
  const requestHeartbeat = args[REQUEST_HEARTBEAT] === true || args[REQUEST_HEARTBEAT] === 'true';
  delete args[REQUEST_HEARTBEAT];
  const fail = (
    text: string,
    ruleViolated = false,
    extra: { stdout?: string[]; stderr?: string[] } = {},
  ): ToolCallOutcome => ({
    call,
    success: false,
    requestHeartbeat,
    ruleViolated,
    message: toolMessage(ctx, call, false, text, extra),
  });

  if ('error' in parsed) return fail(`Error: ${parsed.error}`);
  const spec = ctx.tools.find((t) => t.name === call.name);
  if (!spec)
    return fail(
      `Error: there is no tool named '${call.name}'. Available tools: ${ctx.tools.map((t) => t.name).join(', ')}.`,
    );
  if (!skipRuleCheck && !ctx.allowedTools.includes(call.name)) {
    return fail(
      `Error: calling ${call.name} now breaks the tool rules. Tools you may call now: ${ctx.allowedTools.join(', ') || 'none'}.`,
      true,
    );
  }
  const prefilled = ctx.solver.prefilledArgs(call.name);
  if (prefilled) args = { ...args, ...prefilled };

  let result: ToolExecutionResult;
  try {
    result = await execute(call.name, args, call, ctx);
  } catch (e) {
    const err = e as Error;
    ctx.solver.register(call.name, err.message);
    return fail(`Error: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}`, false, {
      stderr: [String(err.message)],
    });
  }
  const success = result.status === 'success';
  const text = truncate(stringify(result.funcReturn), call.name, spec);
  ctx.solver.register(call.name, text);
  return {
    call,
    success,
    requestHeartbeat,
    ruleViolated: false,
    message: toolMessage(
      ctx,
      call,
      success,
      success ? text : text.startsWith('Error') ? text : `Error: ${text}`,
      { stdout: result.stdout, stderr: result.stderr },
    ),
  };
}
