/**
 * Claude over the official `@anthropic-ai/sdk` Messages API. Thinking blocks come back as
 * `reasoning`; tool_use blocks as tool calls with their input re-encoded as JSON text.
 */
import Anthropic from '@anthropic-ai/sdk';
import type {
  Message,
  MessageCreateParamsBase,
  RawMessageStreamEvent,
  Usage,
} from '@anthropic-ai/sdk/resources/messages/messages';
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, LlmClientOptions } from './client-options';
import { toAnthropicInput, toAnthropicToolChoice, toAnthropicTools } from './anthropic.mapping';
import { toLlmError } from './errors';
import { knownMaxOutputTokens } from './known-models';
import {
  LlmClient,
  LlmFinishReason,
  LlmRequest,
  LlmResponse,
  LlmStreamEvent,
  LlmToolCall,
  LlmUsage,
} from './types';

/** `max_tokens` is mandatory for Anthropic; used when the request sets none. */
const DEFAULT_MAX_TOKENS = 8_192;

export class AnthropicClient implements LlmClient {
  readonly provider: string;
  private readonly sdk: Anthropic;

  constructor(options: LlmClientOptions) {
    this.provider = options.provider;
    this.sdk = new Anthropic({
      apiKey: options.apiKey ?? null,
      // The SDK appends /v1/...; tolerate a base URL given with /v1 already.
      baseURL: options.baseURL?.replace(/\/v1\/?$/, ''),
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    });
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    try {
      const params = { ...this.buildParams(request), stream: false as const };
      const message = await this.sdk.messages.create(params, { signal: request.signal });
      return {
        ...toResponse(message),
        providerTrace: {
          request: params as unknown as Record<string, unknown>,
          response: message as unknown as Record<string, unknown>,
        },
      };
    } catch (err) {
      throw toLlmError(err, this.provider, request.signal);
    }
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmStreamEvent> {
    const acc = new AnthropicStreamAccumulator(request.model);
    const params = { ...this.buildParams(request), stream: true as const };
    try {
      const events = await this.sdk.messages.create(params, { signal: request.signal });
      for await (const event of events) {
        yield* acc.add(event);
      }
    } catch (err) {
      throw toLlmError(err, this.provider, request.signal);
    }
    if (request.signal?.aborted) throw toLlmError(new Error('aborted'), this.provider, request.signal);
    const response = acc.finish();
    yield {
      type: 'done',
      response: {
        ...response,
        providerTrace: { request: params as unknown as Record<string, unknown>, response: acc.message() },
      },
    };
  }

  private buildParams(request: LlmRequest): MessageCreateParamsBase {
    const { system, messages } = toAnthropicInput(request.messages);
    const budget = request.thinkingBudgetTokens;
    const limit = knownMaxOutputTokens(request.model) ?? DEFAULT_MAX_TOKENS;
    let maxTokens = request.maxTokens ?? Math.min(DEFAULT_MAX_TOKENS, limit);
    // The thinking budget counts against max_tokens and must leave room for the answer.
    if (budget && maxTokens <= budget) maxTokens = budget + Math.min(DEFAULT_MAX_TOKENS, limit);
    const params: MessageCreateParamsBase = { model: request.model, max_tokens: maxTokens, messages };
    if (system) params.system = system;
    if (budget) {
      params.thinking = { type: 'enabled', budget_tokens: Math.max(1024, budget) };
    } else if (request.temperature !== undefined) {
      // Anthropic's range is 0..1; extended thinking requires the default.
      params.temperature = Math.min(1, Math.max(0, request.temperature));
    }
    if (request.tools && request.tools.length > 0) {
      params.tools = toAnthropicTools(request.tools);
      const choice = toAnthropicToolChoice(request);
      if (choice) params.tool_choice = choice;
    }
    return params;
  }
}

class AnthropicStreamAccumulator {
  private id?: string;
  private model: string;
  private content = '';
  private reasoning = '';
  private readonly calls: LlmToolCall[] = [];
  /** Content-block index → tool-call index, for routing input_json_delta events. */
  private readonly toolIndexByBlock = new Map<number, number>();
  private stopReason: string | null = null;
  private usage: Partial<Usage> = {};

  constructor(model: string) {
    this.model = model;
  }

  *add(event: RawMessageStreamEvent): Generator<LlmStreamEvent> {
    switch (event.type) {
      case 'message_start':
        this.id = event.message.id;
        this.model = event.message.model || this.model;
        this.usage = { ...event.message.usage };
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'tool_use') {
          const index = this.calls.length;
          this.toolIndexByBlock.set(event.index, index);
          this.calls.push({ id: block.id, name: block.name, arguments: '' });
          yield { type: 'tool_call_delta', index, id: block.id, name: block.name };
        } else if (block.type === 'text' && block.text) {
          this.content += block.text;
          yield { type: 'content_delta', delta: block.text };
        } else if (block.type === 'thinking' && block.thinking) {
          this.reasoning += block.thinking;
          yield { type: 'reasoning_delta', delta: block.thinking };
        }
        break;
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta') {
          this.content += delta.text;
          yield { type: 'content_delta', delta: delta.text };
        } else if (delta.type === 'thinking_delta') {
          this.reasoning += delta.thinking;
          yield { type: 'reasoning_delta', delta: delta.thinking };
        } else if (delta.type === 'input_json_delta') {
          const index = this.toolIndexByBlock.get(event.index);
          if (index === undefined || !delta.partial_json) break;
          this.calls[index].arguments += delta.partial_json;
          yield { type: 'tool_call_delta', index, argumentsDelta: delta.partial_json };
        }
        break;
      }
      case 'message_delta':
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
        // output_tokens here is the running total; input figures may be restated too.
        for (const [key, value] of Object.entries(event.usage ?? {})) {
          if (typeof value === 'number') (this.usage as Record<string, number>)[key] = value;
        }
        break;
      default:
        break;
    }
  }

  /** The Message the events add up to (for the provider trace). */
  message(): Record<string, unknown> {
    const content: Record<string, unknown>[] = [];
    if (this.reasoning) content.push({ type: 'thinking', thinking: this.reasoning });
    if (this.content) content.push({ type: 'text', text: this.content });
    for (const c of this.calls)
      content.push({ type: 'tool_use', id: c.id, name: c.name, input: parseInput(c.arguments) });
    return {
      id: this.id ?? null,
      type: 'message',
      role: 'assistant',
      model: this.model,
      content,
      stop_reason: this.stopReason,
      usage: this.usage,
    };
  }

  finish(): LlmResponse {
    // A tool called with no arguments streams no input_json_delta at all.
    for (const call of this.calls) call.arguments ||= '{}';
    return {
      id: this.id,
      model: this.model,
      content: this.content.length > 0 ? this.content : null,
      reasoning: this.reasoning.length > 0 ? this.reasoning : null,
      toolCalls: this.calls,
      finishReason: toFinishReason(this.stopReason, this.calls.length > 0),
      usage: toUsage(this.usage),
    };
  }
}

function parseInput(raw: string): unknown {
  try {
    return JSON.parse(raw || '{}');
  } catch {
    return raw;
  }
}

function toResponse(message: Message): LlmResponse {
  let content = '';
  let reasoning = '';
  const toolCalls: LlmToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content += block.text;
    else if (block.type === 'thinking') reasoning += block.thinking;
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    }
  }
  return {
    id: message.id,
    model: message.model,
    content: content.length > 0 ? content : null,
    reasoning: reasoning.length > 0 ? reasoning : null,
    toolCalls,
    finishReason: toFinishReason(message.stop_reason, toolCalls.length > 0),
    usage: toUsage(message.usage),
  };
}

function toFinishReason(reason: string | null | undefined, hasToolCalls: boolean): LlmFinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return hasToolCalls ? 'tool_calls' : 'stop';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    case null:
    case undefined:
      return hasToolCalls ? 'tool_calls' : 'stop';
    default:
      return 'other';
  }
}

/** Anthropic reports cached input apart from fresh input; the prompt total is their sum. */
function toUsage(usage: Partial<Usage>): LlmUsage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const prompt = (usage.input_tokens ?? 0) + cacheRead + (usage.cache_creation_input_tokens ?? 0);
  const completion = usage.output_tokens ?? 0;
  const result: LlmUsage = {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: prompt + completion,
  };
  if (cacheRead > 0) result.cachedInputTokens = cacheRead;
  return result;
}
