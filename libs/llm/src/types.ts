/**
 * Provider-neutral chat types shared by the agent runtime (which speaks them through its LLM
 * port) and the provider clients in this library (which translate them to each SDK).
 * Shapes follow OpenAI chat completions because every provider we support maps onto them.
 */

export type JsonSchema = Record<string, unknown>;

export interface LlmToolCall {
  /** Provider tool-call id; the tool message answering it carries the same id. */
  id: string;
  name: string;
  /** The raw JSON text of the arguments as the model produced it (may be invalid JSON). */
  arguments: string;
}

export type LlmMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string | null; toolCalls?: LlmToolCall[]; reasoning?: string | null }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

export interface LlmToolDefinition {
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: JsonSchema;
}

export type LlmToolChoice = 'auto' | 'required' | 'none' | { name: string };

export interface LlmRequest {
  /** Model name as the provider knows it (no provider prefix). */
  model: string;
  messages: LlmMessage[];
  tools?: LlmToolDefinition[];
  toolChoice?: LlmToolChoice;
  temperature?: number;
  maxTokens?: number;
  parallelToolCalls?: boolean;
  signal?: AbortSignal;
  /** OpenAI reasoning models (o-series, gpt-5): how hard to think. Ignored elsewhere. */
  reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high';
  /** Anthropic extended thinking: token budget for thinking blocks (>= 1024). Ignored elsewhere. */
  thinkingBudgetTokens?: number;
  /**
   * OpenAI-compatible providers: return the log probabilities of the output tokens, with this
   * many alternatives per position (0-20). Other providers refuse it before the call.
   */
  logprobs?: { topLogprobs?: number };
}

/** OpenAI's ChoiceLogprobs: per output token, its log probability and the top alternatives. */
export interface LlmLogprobs {
  content?: Array<Record<string, unknown>> | null;
  refusal?: Array<Record<string, unknown>> | null;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
}

export type LlmFinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | 'other';

export interface LlmResponse {
  id?: string;
  model: string;
  content: string | null;
  reasoning?: string | null;
  toolCalls: LlmToolCall[];
  finishReason: LlmFinishReason;
  usage: LlmUsage;
  /** Present when the request asked for `logprobs` and the provider returned them. */
  logprobs?: LlmLogprobs | null;
  /** The call as the provider saw it (Letta's provider trace); see LlmProviderTrace. */
  providerTrace?: LlmProviderTrace;
}

/**
 * One LLM call in the provider's own wire format: the request body the SDK sent, and the
 * response body (for a stream, the response the chunks add up to, in the non-streaming shape).
 * References to objects the client built anyway: nothing is copied or serialized here.
 */
export interface LlmProviderTrace {
  request: Record<string, unknown>;
  /** The request body as sent, when the client wrote the JSON itself (the same value as `request`). */
  requestJson?: string;
  response: Record<string, unknown>;
}

export type LlmStreamEvent =
  | { type: 'content_delta'; delta: string }
  | { type: 'reasoning_delta'; delta: string }
  | { type: 'tool_call_delta'; index: number; id?: string; name?: string; argumentsDelta?: string }
  /** Always the last event: the whole response assembled from the deltas. */
  | { type: 'done'; response: LlmResponse };

export interface LlmClient {
  readonly provider: string;
  complete(request: LlmRequest): Promise<LlmResponse>;
  stream(request: LlmRequest): AsyncIterable<LlmStreamEvent>;
}

export type LlmErrorKind =
  /** No credentials / base URL configured for the provider; `envVar` says what to set. */
  | 'not_configured'
  /** Network failure, timeout or 5xx from the provider. */
  | 'unavailable'
  | 'rate_limited'
  | 'auth'
  | 'context_window_exceeded'
  | 'bad_request'
  | 'cancelled';

export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly details: { provider?: string; status?: number; envVar?: string; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'LlmError';
  }
}
