/**
 * Letta tool rules (shapes of @letta-ai/letta-client `agents.d.ts`) and a solver that, given the
 * tool calls made so far in this run, says which tools may come next and whether the run must
 * stop or go on. Semantics follow Letta's ToolRulesSolver.
 */
import type {
  ChildToolRule,
  ConditionalToolRule,
  ContinueToolRule,
  InitToolRule,
  MaxCountPerStepToolRule,
  ParentToolRule,
  RequiredBeforeExitToolRule,
  RequiresApprovalToolRule,
  TerminalToolRule,
} from '@letta-ai/letta-client/resources/agents/agents';

export type ToolRule =
  | ChildToolRule
  | InitToolRule
  | TerminalToolRule
  | ConditionalToolRule
  | ContinueToolRule
  | RequiredBeforeExitToolRule
  | MaxCountPerStepToolRule
  | ParentToolRule
  | RequiresApprovalToolRule;

export type ToolRuleType = NonNullable<ToolRule['type']>;

export class ToolRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolRuleError';
  }
}

/** A conditional rule key matches the tool's output by its JSON type, like Letta (bool, number, string). */
function outputMatches(output: string, key: string): boolean {
  if (output === key) return true;
  const lower = output.trim().toLowerCase();
  if (key.toLowerCase() === 'true' || key.toLowerCase() === 'false') return lower === key.toLowerCase();
  const nk = Number(key);
  if (key.trim() !== '' && !Number.isNaN(nk)) return output.trim() !== '' && Number(output) === nk;
  return false;
}

export class ToolRulesSolver {
  readonly history: string[] = [];
  private lastOutput: string | null = null;

  constructor(readonly rules: ToolRule[] = []) {}

  private of<T extends ToolRuleType>(type: T): Extract<ToolRule, { type?: T }>[] {
    return this.rules.filter((r) => r.type === type) as Extract<ToolRule, { type?: T }>[];
  }

  /** Record a tool call of this run; `output` is the message of its result (used by conditional rules). */
  register(toolName: string, output: string | null = null): void {
    this.history.push(toolName);
    this.lastOutput = output;
  }

  /** Tool names allowed for the next call, out of `available`. Throws when the rules leave none. */
  allowedTools(available: string[], errorOnEmpty = true): string[] {
    const avail = new Set(available);
    const init = this.of('run_first');
    if (this.history.length === 0 && init.length)
      return init.map((r) => r.tool_name).filter((n) => avail.has(n));
    const last = this.history[this.history.length - 1];
    let allowed = new Set(avail);
    const restrict = (s: Set<string>): void => {
      allowed = new Set([...allowed].filter((n) => s.has(n)));
    };
    for (const r of this.of('constrain_child_tools')) if (last === r.tool_name) restrict(new Set(r.children));
    for (const r of this.of('parent_last_tool')) {
      if (last === r.tool_name) restrict(new Set(r.children));
      else for (const c of r.children) allowed.delete(c);
    }
    for (const r of this.of('max_count_per_step')) {
      if (this.history.filter((n) => n === r.tool_name).length >= r.max_count_limit)
        allowed.delete(r.tool_name);
    }
    for (const r of this.of('conditional')) {
      if (last !== r.tool_name) continue;
      const output = this.lastOutput ?? '';
      const hit = Object.entries(r.child_output_mapping).find(([key]) => outputMatches(output, key));
      if (hit) restrict(new Set([hit[1]]));
      else if (r.require_output_mapping) restrict(new Set());
      else if (r.default_child) restrict(new Set([r.default_child]));
    }
    const out = [...allowed];
    if (errorOnEmpty && out.length === 0)
      throw new ToolRuleError('The tool rules leave no tool that may be called next.');
    return out;
  }

  /** Whether the next LLM call must call a tool (tool_choice "required"), as Letta forces it. */
  mustCallTool(): boolean {
    if (this.history.length === 0) return this.of('run_first').length > 0;
    const last = this.history[this.history.length - 1];
    return (
      this.of('constrain_child_tools').some((r) => r.tool_name === last) ||
      this.of('conditional').some((r) => r.tool_name === last)
    );
  }

  isTerminal(name: string): boolean {
    return this.of('exit_loop').some((r) => r.tool_name === name);
  }

  /** The tool constrains what comes next (child / conditional / max-count rule on it): keep going. */
  hasChildren(name: string): boolean {
    return (
      this.of('constrain_child_tools').some((r) => r.tool_name === name) ||
      this.of('conditional').some((r) => r.tool_name === name) ||
      this.of('max_count_per_step').some((r) => r.tool_name === name)
    );
  }

  isContinue(name: string): boolean {
    return this.of('continue_loop').some((r) => r.tool_name === name);
  }

  requiresApproval(name: string): boolean {
    return this.of('requires_approval').some((r) => r.tool_name === name);
  }

  /** required_before_exit tools (among `available`) not yet called in this run. */
  uncalledRequired(available: string[]): string[] {
    const called = new Set(this.history);
    const avail = new Set(available);
    return [...new Set(this.of('required_before_exit').map((r) => r.tool_name))].filter(
      (n) => avail.has(n) && !called.has(n),
    );
  }

  /** Prefilled arguments (init rule `args`, child `child_arg_nodes`) for `name` as the next call. */
  prefilledArgs(name: string): Record<string, unknown> | undefined {
    const last = this.history[this.history.length - 1];
    let out: Record<string, unknown> | undefined;
    if (this.history.length === 0)
      for (const r of this.of('run_first')) if (r.tool_name === name && r.args) out = { ...out, ...r.args };
    for (const r of this.of('constrain_child_tools')) {
      if (r.tool_name !== last) continue;
      for (const node of r.child_arg_nodes ?? [])
        if (node.name === name && node.args) out = { ...out, ...node.args };
    }
    return out;
  }

  /** A short rules section for the system prompt, in our words. */
  describe(): string | null {
    const lines: string[] = [];
    for (const r of this.rules) {
      switch (r.type) {
        case 'run_first':
          lines.push(`Start by calling ${r.tool_name}.`);
          break;
        case 'constrain_child_tools':
          lines.push(`Right after ${r.tool_name}, call one of: ${r.children.join(', ')}.`);
          break;
        case 'parent_last_tool':
          lines.push(`${r.children.join(', ')} may only be called right after ${r.tool_name}.`);
          break;
        case 'conditional':
          lines.push(`What ${r.tool_name} returns decides which tool comes next.`);
          break;
        case 'exit_loop':
          lines.push(`Calling ${r.tool_name} ends your turn.`);
          break;
        case 'continue_loop':
          lines.push(`After ${r.tool_name} you keep control and must act again.`);
          break;
        case 'required_before_exit':
          lines.push(`Call ${r.tool_name} before you finish your turn.`);
          break;
        case 'max_count_per_step':
          lines.push(`Call ${r.tool_name} at most ${r.max_count_limit} time(s) per turn.`);
          break;
        default:
          break;
      }
    }
    return lines.length ? lines.map((l) => `- ${l}`).join('\n') : null;
  }
}
