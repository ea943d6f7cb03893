/**
 * Chat completions over the official `openai` SDK. One client serves OpenAI itself and every
 * server that speaks its API (Ollama `/v1`, vLLM, LM Studio, Together, Groq, ...): only the
 * base URL, the key and the provider name differ.
 */
import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, LlmClientOptions } from './client-options';
import { toLlmError } from './errors';
import { isOpenAiReasoningModel } from './known-models';
import { countMessages, countTokens } from './tokens';
import {
  LlmClient,
  LlmFinishReason,
  LlmLogprobs,
  LlmMessage,
  LlmRequest,
  LlmResponse,
  LlmStreamEvent,
  LlmToolCall,
  LlmUsage,
} from './types';

export class OpenAiCompatibleClient implements LlmClient {
  readonly provider: string;
  private readonly sdk: OpenAI;
  /** OpenAI proper wants `max_completion_tokens`; most compatible servers only know `max_tokens`. */
  private readonly isOpenAi: boolean;

  constructor(options: LlmClientOptions) {
    this.provider = options.provider;
    this.isOpenAi = options.provider === 'openai';
    this.sdk = new OpenAI({
      // Local servers (Ollama, vLLM, LM Studio) take any key; the SDK insists on one.
      apiKey: options.apiKey || 'not-needed',
      baseURL: options.baseURL,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    });
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    try {
      const params = { ...this.buildParams(request), stream: false as const };
      const body = requestBody(params);
      const completion = await this.sdk.chat.completions.create(params, {
        signal: request.signal,
        ...jsonBody(body),
      });
      return {
        ...this.toResponse(completion, request),
        providerTrace: {
          request: params as unknown as Record<string, unknown>,
          requestJson: body,
          response: completion as unknown as Record<string, unknown>,
        },
      };
    } catch (err) {
      throw toLlmError(err, this.provider, request.signal);
    }
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmStreamEvent> {
    const acc = new StreamAccumulator(request.model);
    const params = {
      ...this.buildParams(request),
      stream: true as const,
      stream_options: { include_usage: true },
    };
    const body = requestBody(params);
    try {
      const chunks = await this.sdk.chat.completions.create(params, {
        signal: request.signal,
        ...jsonBody(body),
      });
      for await (const chunk of chunks) {
        yield* acc.add(chunk);
      }
    } catch (err) {
      throw toLlmError(err, this.provider, request.signal);
    }
    if (request.signal?.aborted) throw toLlmError(new Error('aborted'), this.provider, request.signal);
    const response = acc.finish(request);
    yield {
      type: 'done',
      response: {
        ...response,
        providerTrace: {
          request: params as unknown as Record<string, unknown>,
          requestJson: body,
          response: acc.completion(response),
        },
      },
    };
  }

  private buildParams(request: LlmRequest): ChatCompletionCreateParamsBase {
    const params: ChatCompletionCreateParamsBase = {
      model: request.model,
      messages: request.messages.map(wireMessage),
    };
    const reasoningModel = this.isOpenAi && isOpenAiReasoningModel(request.model);
    if (request.temperature !== undefined && !reasoningModel) params.temperature = request.temperature;
    if (request.maxTokens !== undefined) {
      if (this.isOpenAi) params.max_completion_tokens = request.maxTokens;
      else params.max_tokens = request.maxTokens;
    }
    if (request.reasoningEffort && reasoningModel) params.reasoning_effort = request.reasoningEffort;
    if (request.tools && request.tools.length > 0) {
      params.tools = request.tools.map((t) => ({
        type: 'function',
        function: { name: t.name, description: t.description, parameters: t.parameters },
      }));
      if (request.toolChoice) params.tool_choice = toToolChoice(request.toolChoice);
      if (request.parallelToolCalls !== undefined) params.parallel_tool_calls = request.parallelToolCalls;
    }
    if (request.logprobs) {
      params.logprobs = true;
      if (request.logprobs.topLogprobs !== undefined) params.top_logprobs = request.logprobs.topLogprobs;
    }
    return params;
  }

  private toResponse(completion: ChatCompletion, request: LlmRequest): LlmResponse {
    const choice = completion.choices[0];
    const message = choice?.message;
    const toolCalls: LlmToolCall[] = [];
    for (const call of message?.tool_calls ?? []) {
      if (call.type === 'function') {
        toolCalls.push({ id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' });
      }
    }
    const content = message?.content ?? null;
    return {
      id: completion.id,
      model: completion.model || request.model,
      content,
      reasoning: reasoningOf(message),
      toolCalls,
      finishReason: toFinishReason(choice?.finish_reason, toolCalls.length > 0),
      usage: completion.usage
        ? toUsage(completion.usage)
        : estimateUsage(request, (content ?? '') + toolCalls.map((c) => c.arguments).join('')),
      ...(request.logprobs ? { logprobs: (choice?.logprobs as LlmLogprobs | null | undefined) ?? null } : {}),
    };
  }
}

/** Builds the response from stream chunks while turning each into neutral delta events. */
class StreamAccumulator {
  private id?: string;
  private model: string;
  private content = '';
  private reasoning = '';
  private readonly calls: LlmToolCall[] = [];
  private finishReason?: string | null;
  private usage?: LlmUsage;
  private rawUsage?: ChatCompletionChunk['usage'];

  constructor(model: string) {
    this.model = model;
  }

  *add(chunk: ChatCompletionChunk): Generator<LlmStreamEvent> {
    this.id ??= chunk.id;
    if (chunk.model) this.model = chunk.model;
    if (chunk.usage) {
      this.usage = toUsage(chunk.usage);
      this.rawUsage = chunk.usage;
    }
    const choice = chunk.choices?.[0];
    if (!choice) return;
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    const delta = choice.delta ?? {};
    const reasoning = reasoningOf(delta);
    if (reasoning) {
      this.reasoning += reasoning;
      yield { type: 'reasoning_delta', delta: reasoning };
    }
    if (delta.content) {
      this.content += delta.content;
      yield { type: 'content_delta', delta: delta.content };
    }
    for (const [position, part] of (delta.tool_calls ?? []).entries()) {
      let index = part.index ?? position;
      // Some servers repeat index 0 for every call; a new id at a taken index is a new call.
      if (part.id && this.calls[index]?.id && this.calls[index].id !== part.id) index = this.calls.length;
      const call = (this.calls[index] ??= { id: '', name: '', arguments: '' });
      if (part.id) call.id = part.id;
      if (part.function?.name) call.name += part.function.name;
      if (part.function?.arguments) call.arguments += part.function.arguments;
      yield {
        type: 'tool_call_delta',
        index,
        id: part.id || undefined,
        name: part.function?.name || undefined,
        argumentsDelta: part.function?.arguments || undefined,
      };
    }
  }

  /** The chat.completion object the chunks add up to (for the provider trace). */
  completion(r: LlmResponse): Record<string, unknown> {
    const message: Record<string, unknown> = { role: 'assistant', content: r.content };
    if (r.reasoning) message.reasoning_content = r.reasoning;
    if (r.toolCalls.length)
      message.tool_calls = r.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      }));
    return {
      id: this.id ?? null,
      object: 'chat.completion',
      model: this.model,
      choices: [{ index: 0, message, finish_reason: this.finishReason ?? null }],
      usage: this.rawUsage ?? null,
    };
  }

  finish(request: LlmRequest): LlmResponse {
    const toolCalls = this.calls.filter((c) => c !== undefined && c.name !== '');
    toolCalls.forEach((c, i) => (c.id ||= `call_${i}`));
    const text = this.content + toolCalls.map((c) => c.arguments).join('');
    return {
      id: this.id,
      model: this.model,
      content: this.content.length > 0 ? this.content : null,
      reasoning: this.reasoning.length > 0 ? this.reasoning : null,
      toolCalls,
      finishReason: toFinishReason(this.finishReason, toolCalls.length > 0),
      usage: this.usage ?? estimateUsage(request, text),
    };
  }
}

/**
 * Each message in OpenAI's shape and as JSON text, made once per message object: the agent
 * runtime hands every step the same objects for the messages it already sent (its conversion is
 * kept per stored message), so a step's request body costs the new messages, not the whole
 * context. Messages are never changed in place.
 */
const wire = new WeakMap<ChatCompletionMessageParam, string>();
const wireOf = new WeakMap<LlmMessage, ChatCompletionMessageParam>();

function wireMessage(message: LlmMessage): ChatCompletionMessageParam {
  let param = wireOf.get(message);
  if (param === undefined) {
    param = toOpenAiMessage(message);
    wireOf.set(message, param);
  }
  return param;
}

/**
 * The request body as JSON text, the messages' part joined from their cached texts: the same
 * JSON as `JSON.stringify(params)` (its keys in another order), written once and sent as it is,
 * and kept as the provider trace's request.
 */
export function requestBody(params: ChatCompletionCreateParamsBase): string {
  const { messages, ...rest } = params;
  const texts = messages.map((m) => {
    let text = wire.get(m);
    if (text === undefined) {
      text = JSON.stringify(m);
      wire.set(m, text);
    }
    return text;
  });
  const tail = JSON.stringify(rest);
  return `{"messages":[${texts.join(',')}]${tail === '{}' ? '}' : `,${tail.slice(1)}`}`;
}

/** Request options that make the SDK send `body` as it is (a string body with a content type). */
function jsonBody(body: string): { body: string; headers: Record<string, string> } {
  return { body, headers: { 'content-type': 'application/json' } };
}

function toOpenAiMessage(message: LlmMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return message.name
        ? { role: 'user', content: message.content, name: message.name }
        : { role: 'user', content: message.content };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: message.content ?? '' };
      return {
        role: 'assistant',
        content: message.content,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
      };
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

function toToolChoice(choice: NonNullable<LlmRequest['toolChoice']>): ChatCompletionToolChoiceOption {
  if (typeof choice === 'string') return choice;
  return { type: 'function', function: { name: choice.name } };
}

/** Compatible servers put reasoning text under `reasoning_content` (vLLM, DeepSeek) or `reasoning` (Ollama). */
function reasoningOf(part: unknown): string | null {
  const p = part as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
  const text = p?.reasoning_content ?? p?.reasoning;
  return typeof text === 'string' && text.length > 0 ? text : null;
}

function toFinishReason(reason: string | null | undefined, hasToolCalls: boolean): LlmFinishReason {
  // Some servers (older Ollama) answer tool calls with finish_reason "stop".
  if (hasToolCalls && (reason === 'stop' || reason === 'tool_calls' || !reason)) return 'tool_calls';
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return reason ? 'other' : 'stop';
  }
}

function toUsage(usage: NonNullable<ChatCompletion['usage']>): LlmUsage {
  const result: LlmUsage = {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
    totalTokens: usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0),
  };
  const cached = usage.prompt_tokens_details?.cached_tokens;
  if (cached) result.cachedInputTokens = cached;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  if (reasoning) result.reasoningTokens = reasoning;
  return result;
}

/** For servers that report no usage: count locally so context budgeting still has figures. */
function estimateUsage(request: LlmRequest, output: string): LlmUsage {
  const promptTokens = countMessages(request.messages, request.tools);
  const completionTokens = countTokens(output);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
