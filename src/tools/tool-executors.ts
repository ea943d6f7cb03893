import { Injectable } from '@nestjs/common';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ToolExecutionResult } from '@engram/agent-runtime';
import { Principal } from '../common/auth/principal';
import { MetricsService } from '../observability/metrics.service';
import { withSpan } from '../observability/tracing';
import type { ToolEntity } from './tool.entity';

/** Everything an executor may need besides the tool row and its arguments. */
export interface ToolExecutionContext {
  principal: Principal;
  agentId: string;
  toolCallId: string;
  runId?: string;
  stepId?: string;
  signal?: AbortSignal;
  /** The agent's secrets (tool environment variables), already decrypted. */
  env?: Record<string, string>;
}

/**
 * Runs one kind of non-base tool: sandboxed custom code, an MCP server's tool, ... Each domain
 * registers its executor here at start-up; the agent loop's tool port asks the registry.
 */
export interface ToolExecutor {
  readonly name: string;
  canExecute(tool: ToolEntity): boolean;
  execute(
    tool: ToolEntity,
    args: Record<string, unknown>,
    ctx: ToolExecutionContext,
  ): Promise<ToolExecutionResult>;
}

@Injectable()
export class ToolExecutors {
  private readonly executors: ToolExecutor[] = [];

  constructor(private readonly metrics: MetricsService) {}

  register(executor: ToolExecutor): void {
    this.executors.push(executor);
  }

  /**
   * Runs the tool with the first executor that takes it; a tool nobody can run is a failed
   * return. Each call is timed by tool type and traced as a `tool <name>` span.
   */
  async execute(
    tool: ToolEntity,
    args: Record<string, unknown>,
    ctx: ToolExecutionContext,
  ): Promise<ToolExecutionResult> {
    const attributes = {
      'engram.tool.name': tool.name,
      'engram.tool.type': tool.toolType,
      'engram.agent_id': ctx.agentId,
      'engram.tool_call_id': ctx.toolCallId,
    };
    return withSpan(`tool ${tool.name}`, attributes, async (span) => {
      const started = performance.now();
      const result = await this.executeUntimed(tool, args, ctx);
      this.metrics.toolExecuted(tool.toolType, result.status, (performance.now() - started) / 1000);
      span?.setAttribute('engram.tool.status', result.status);
      if (result.status === 'error') span?.setStatus({ code: SpanStatusCode.ERROR });
      return result;
    });
  }

  private async executeUntimed(
    tool: ToolEntity,
    args: Record<string, unknown>,
    ctx: ToolExecutionContext,
  ): Promise<ToolExecutionResult> {
    const executor = this.executors.find((e) => e.canExecute(tool));
    if (!executor) {
      return {
        status: 'error',
        funcReturn: `Tool '${tool.name}' of type '${tool.toolType}' cannot be executed by this server`,
      };
    }
    try {
      return await executor.execute(tool, args, ctx);
    } catch (err) {
      return { status: 'error', funcReturn: `${(err as Error).name}: ${(err as Error).message}` };
    }
  }
}
