/**
 * The interfaces the agent loop talks through. The Nest modules implement them (TypeORM, the
 * sandbox, the event bus); the unit tests implement them in memory. Everything is async.
 */
import type { LettaUsage } from './runtime-types';
import type {
  LettaStreamingResponse,
  Message as LettaMessage,
} from '@letta-ai/letta-client/resources/agents/messages';
import type { LlmClient, LlmProviderTrace, LlmUsage } from '@engram/llm/types';
import type { AgentMessage } from './messages';

/** The LLM port is the provider-neutral client of `@engram/llm`. */
export type LlmPort = LlmClient;

export interface MemoryBlock {
  id?: string;
  label: string;
  value: string;
  /** Character limit of the value. */
  limit: number;
  description?: string | null;
  readOnly?: boolean;
  updatedAt?: Date | null;
}

/** Thrown by memory tools / MemoryPort; the loop turns it into a failed tool return. */
export class MemoryEditError extends Error {
  constructor(
    message: string,
    readonly code: 'not_found' | 'read_only' | 'limit_exceeded' | 'invalid' | 'conflict' = 'invalid',
  ) {
    super(message);
    this.name = 'MemoryEditError';
  }
}

export interface MemoryPort {
  /** The agent's core memory blocks, in prompt order. */
  getBlocks(): Promise<MemoryBlock[]>;
  /** Persist a block's new value (by label); returns the stored block. May throw MemoryEditError. */
  updateBlockValue(label: string, value: string): Promise<MemoryBlock>;
  /** Extra sections of the prompt after the blocks (the `<directories>` of attached folders). */
  getPromptSections?(): Promise<string[]>;
}

export interface Passage {
  id: string;
  text: string;
  tags?: string[] | null;
  createdAt: Date;
  score?: number;
}

export interface ArchivalSearchOptions {
  tags?: string[];
  tagMatchMode?: 'any' | 'all';
  topK?: number;
  startDatetime?: Date;
  endDatetime?: Date;
}

export interface ArchivalPort {
  insert(text: string, tags?: string[]): Promise<Passage>;
  search(query: string, opts: ArchivalSearchOptions): Promise<Passage[]>;
  count(): Promise<number>;
  /** Distinct tags in the agent's archive(s), for the prompt. */
  listTags?(): Promise<string[]>;
}

export interface RecallSearchOptions {
  roles?: Array<'assistant' | 'user' | 'tool'>;
  limit: number;
  startDate?: Date;
  endDate?: Date;
}

export interface RecallPort {
  /** Search the agent's stored messages (all of history, in context or not). */
  search(query: string | undefined, opts: RecallSearchOptions): Promise<AgentMessage[]>;
  count(): Promise<number>;
}

export interface ToolExecutionResult {
  status: 'success' | 'error';
  /** The tool's return value (stringified with JSON when not a string). */
  funcReturn: unknown;
  stdout?: string[];
  stderr?: string[];
}

export interface ToolExecutionRequest {
  name: string;
  args: Record<string, unknown>;
  toolCallId: string;
  agentId: string;
  runId?: string;
  stepId: string;
  signal?: AbortSignal;
}

/** Executes every tool that is not a base tool of this library (custom, sandboxed, MCP). */
export interface ToolExecutorPort {
  execute(request: ToolExecutionRequest): Promise<ToolExecutionResult>;
}

export interface CompactionInfo {
  summaryMessageId: string;
  evictedMessageIds: string[];
  messagesCountBefore: number;
  messagesCountAfter: number;
  tokensBefore: number;
  tokensAfter: number;
}

export interface PersistStepInput {
  agentId: string;
  runId?: string;
  stepId: string;
  /** 0-based index of this step in the run. */
  stepIndex: number;
  model: string;
  provider: string;
  /** New messages of this step, in order (first step: the input messages first). */
  messages: AgentMessage[];
  /** The agent's full in-context message id list after this step (system message first). */
  inContextMessageIds: string[];
  usage: LlmUsage;
  /** Set when the loop stops after this step. */
  stopReason: StopReason | null;
  /**
   * The run's usage including this step: with `stopReason` set, what the run ends with, so a
   * store can write the run's end in the step's own commit.
   */
  runUsage?: LettaUsage;
  /** The system message, when its compiled text changed (same id, new content). */
  systemMessage?: AgentMessage;
  /** Set when this step summarized older messages out of the context. */
  compaction?: CompactionInfo;
  /** Where the step's time went, in nanoseconds (Letta's step metrics). */
  timing?: StepTiming;
  /** The step's LLM call as the provider saw it, when the client reports it (its last attempt). */
  providerTrace?: LlmProviderTrace;
}

export interface StepTiming {
  /** The whole step, from its start to just before it is persisted. */
  stepNs: number;
  /** The LLM call(s) of the step; 0 for a step that only ran approved tools. */
  llmRequestNs: number;
  /** The step's tool calls, one after another. */
  toolExecutionNs: number;
}

export interface PersistCompactionInput {
  agentId: string;
  summaryMessage: AgentMessage;
  inContextMessageIds: string[];
  compaction: CompactionInfo;
}

export interface MessageStorePort {
  /** Messages + step row + in-context ids: the caller makes this one transaction. */
  persistStep(input: PersistStepInput): Promise<void>;
  /** Used by the stand-alone summarize entry point (`POST /v1/agents/:id/summarize`). */
  persistCompaction?(input: PersistCompactionInput): Promise<void>;
}

/** A stream chunk: any Letta message, or stop_reason / usage_statistics / error_message / ping. */
export type LettaStreamChunk = LettaStreamingResponse | LettaMessage;

export interface EventSink {
  emit(event: LettaStreamChunk): void | Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** `prefix-<uuid4>`, e.g. `message-…`, `step-…`. */
  next(prefix: 'message' | 'step' | 'tool_call'): string;
}

export type StopReason =
  | 'end_turn'
  | 'error'
  | 'llm_api_error'
  | 'invalid_llm_response'
  | 'invalid_tool_call'
  | 'max_steps'
  | 'max_tokens_exceeded'
  | 'no_tool_call'
  | 'tool_rule'
  | 'cancelled'
  | 'requires_approval'
  | 'context_window_overflow_in_system_prompt';

export const systemClock: Clock = { now: () => new Date() };

export const uuidIds: IdGenerator = {
  next: (prefix) => `${prefix === 'tool_call' ? 'call' : prefix}-${globalThis.crypto.randomUUID()}`,
};
