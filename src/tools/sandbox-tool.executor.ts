import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import type { ToolExecutionResult } from '@engram/agent-runtime';
import { ToolSandbox, ToolSourceType } from '@engram/sandbox';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AgentSecretsService } from './agent-secrets.service';
import { ToolEntity } from './tool.entity';
import { ToolExecutionContext, ToolExecutor, ToolExecutors } from './tool-executors';

const SANDBOXED: ReadonlySet<string> = new Set(['python', 'typescript', 'javascript']);

/** The process-wide sandbox, configured once from ENGRAM_TOOL_TIMEOUT_MS / ENGRAM_TOOL_MEMORY_MB. */
export const TOOL_SANDBOX = Symbol('TOOL_SANDBOX');

export function createToolSandbox(config: AppConfig): ToolSandbox {
  return new ToolSandbox({
    timeoutMs: config.tools.timeoutMs,
    memoryMb: config.tools.memoryMb,
    pythonPath: config.tools.python,
    pythonSandbox: config.tools.pythonSandbox,
  });
}

/**
 * Runs custom tools (user source code) in the sandbox: the tool's return_char_limit, the
 * configured timeout and memory cap, and as environment ONLY the agent's decrypted secrets,
 * looked up here by `ctx.agentId` unless the caller already passed them in `ctx.env`.
 */
@Injectable()
export class SandboxToolExecutor implements ToolExecutor, OnModuleInit, OnApplicationBootstrap {
  readonly name = 'sandbox';
  private readonly logger = new Logger(SandboxToolExecutor.name);

  constructor(
    @Inject(TOOL_SANDBOX) private readonly sandbox: ToolSandbox,
    private readonly secrets: AgentSecretsService,
    private readonly registry: ToolExecutors,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  /** Probes the Python isolation and loads the TS compiler in the background, so the first call is not the slow one. */
  onApplicationBootstrap(): void {
    this.sandbox.warmup().then(
      ({ pythonIsolation, pythonProblem }) => {
        if (pythonIsolation === 'unavailable') {
          this.logger.warn(
            `Python tools are DISABLED: the OS cannot confine them here (${pythonProblem}). ` +
              'Run as root or allow unprivileged user namespaces; or set ENGRAM_PYTHON_SANDBOX=unconfined ' +
              'to run them without OS confinement (trusted users only).',
          );
        } else if (pythonIsolation === 'unconfined') {
          this.logger.warn(
            'Python tools run WITHOUT OS confinement (ENGRAM_PYTHON_SANDBOX=unconfined): ' +
              'a tool can read and write whatever this server can. Trusted users only.',
          );
        } else {
          this.logger.log(`Python tool isolation: ${pythonIsolation}`);
        }
      },
      (e: unknown) => this.logger.warn(`Sandbox warm-up failed: ${(e as Error).message}`),
    );
  }

  canExecute(tool: ToolEntity): boolean {
    return tool.toolType === 'custom' && !!tool.sourceCode && SANDBOXED.has(tool.sourceType ?? '');
  }

  async execute(
    tool: ToolEntity,
    args: Record<string, unknown>,
    ctx: ToolExecutionContext,
  ): Promise<ToolExecutionResult> {
    const env = ctx.env ?? (await this.secrets.envFor(ctx.principal, ctx.agentId));
    const functionName = typeof tool.jsonSchema?.name === 'string' ? tool.jsonSchema.name : tool.name;
    const r = await this.sandbox.run({
      sourceType: tool.sourceType as ToolSourceType,
      sourceCode: tool.sourceCode!,
      functionName,
      args,
      env,
      timeoutMs: this.config.tools.timeoutMs,
      memoryMb: this.config.tools.memoryMb,
      returnCharLimit: tool.returnCharLimit,
    });
    return {
      status: r.status,
      funcReturn: r.funcReturn,
      stdout: r.stdout ? [r.stdout] : [],
      stderr: r.stderr ? [r.stderr] : [],
    };
  }
}
