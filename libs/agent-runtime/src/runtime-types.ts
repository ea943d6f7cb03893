/** Inputs, options and results of `runAgent`. */
import type { LlmLogprobs, LlmUsage } from '@engram/llm/types';
import type { AgentMessage } from './messages';
import type { MessageInput } from './message-input';
import type {
  ArchivalPort,
  Clock,
  EventSink,
  IdGenerator,
  LlmPort,
  MemoryPort,
  MessageStorePort,
  RecallPort,
  StopReason,
  ToolExecutorPort,
} from './ports';
import type { ToolSpec } from './tools/definitions';
import type { ToolRule } from './tool-rules';

export interface AgentConfig {
  id: string;
  /** 'letta_v1_agent' (default) | 'memgpt_v2_agent' | 'memgpt_agent'. */
  agentType: string;
  /** The agent's system text (may contain `{CORE_MEMORY}`). */
  system: string;
  /** Model name as the provider knows it. */
  model: string;
  contextWindow: number;
  timezone?: string | null;
  /** Attached tools (base tools included, by name; specs from BASE_TOOL_SPECS for those). */
  tools: ToolSpec[];
  toolRules?: ToolRule[];
  temperature?: number;
  maxTokens?: number;
  parallelToolCalls?: boolean;
}

export interface RunAgentInput {
  agent: AgentConfig;
  /** The agent's current in-context messages, system message first. */
  inContextMessages: AgentMessage[];
  /** The request's new messages (Letta MessageCreate / ApprovalCreate). */
  input: MessageInput[];
  runId?: string;
}

export interface RunAgentOptions {
  /** Default 50, like Letta. */
  maxSteps?: number;
  /** Stream token deltas through the event sink (uses LlmClient.stream). */
  streamTokens?: boolean;
  /** memgpt agents: show send_message calls as assistant_message (default true). */
  useAssistantMessage?: boolean;
  assistantMessageToolName?: string;
  assistantMessageToolKwarg?: string;
  signal?: AbortSignal;
  /** Share of the context window that triggers summarization (default 0.9). */
  summarizeThreshold?: number;
  /** Emit stop_reason and usage_statistics chunks at the end (default true). */
  emitFinishChunks?: boolean;
  /**
   * Sent to the LLM instead of the compiled system prompt, for this run only (Letta's
   * `override_system`). The stored system message is left as it is.
   */
  overrideSystem?: string;
  /**
   * Tools the client executes (Letta's `client_tools`): offered to the model beside the agent's
   * tools; a call to one stops the run with `requires_approval`, and the client answers with a
   * tool return in an approval message.
   */
  clientTools?: ClientTool[];
  /** Emit `event_message` + `summary_message` chunks when the context is compacted. */
  includeCompactionMessages?: boolean;
  /** Ask the provider for the output tokens' log probabilities (OpenAI-compatible only). */
  logprobs?: { topLogprobs?: number };
}

export interface ClientTool {
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
}

export interface AgentPorts {
  llm: LlmPort;
  memory: MemoryPort;
  archival?: ArchivalPort;
  recall?: RecallPort;
  tools?: ToolExecutorPort;
  store: MessageStorePort;
  events?: EventSink;
  clock?: Clock;
  ids?: IdGenerator;
  /** Checked between steps (e.g. a cancel flag in Redis). */
  isCancelled?(): boolean | Promise<boolean>;
}

/** Letta's LettaUsageStatistics, snake_case as on the wire. */
export interface LettaUsage {
  message_type: 'usage_statistics';
  completion_tokens: number;
  prompt_tokens: number;
  total_tokens: number;
  step_count: number;
  run_ids: string[] | null;
  cached_input_tokens: number | null;
  reasoning_tokens: number | null;
  context_tokens: number | null;
}

export interface RunAgentResult {
  /** Every new stored message of this run (input included), in order; all persisted. */
  messages: AgentMessage[];
  stopReason: StopReason;
  usage: LettaUsage;
  /** The in-context id list after the run (what the last persistStep wrote). */
  inContextMessageIds: string[];
  error?: { type: string; message: string };
  /** The last LLM call's log probabilities, when `logprobs` was asked for. */
  logprobs?: LlmLogprobs | null;
}

export type { LlmUsage };
