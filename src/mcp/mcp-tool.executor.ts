import { Injectable, OnModuleInit } from '@nestjs/common';
import type { ToolExecutionResult } from '@engram/agent-runtime';
import type { ToolEntity } from '../tools/tool.entity';
import { ToolExecutionContext, ToolExecutor, ToolExecutors } from '../tools/tool-executors';
import { McpServersService } from './mcp-servers.service';

/** Runs `external_mcp` tools (the agent loop and `/v1/agents/:id/tools/:name/run` reach it through the registry). */
@Injectable()
export class McpToolExecutor implements ToolExecutor, OnModuleInit {
  readonly name = 'mcp';

  constructor(
    private readonly registry: ToolExecutors,
    private readonly servers: McpServersService,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  canExecute(tool: ToolEntity): boolean {
    return tool.toolType === 'external_mcp';
  }

  execute(
    tool: ToolEntity,
    args: Record<string, unknown>,
    ctx: ToolExecutionContext,
  ): Promise<ToolExecutionResult> {
    return this.servers.execute(ctx.principal, tool, args, ctx.signal);
  }
}
