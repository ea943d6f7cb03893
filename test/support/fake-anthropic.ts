/**
 * A scripted Anthropic Messages API over real HTTP: `POST /v1/messages` (JSON and SSE with
 * message_start / content_block_* / message_delta / message_stop) and `GET /v1/models`.
 * Same scripting API as the fake OpenAI server (`enqueue`, `requests`, `defaultReply`, ...).
 *
 *   const fake = await FakeAnthropicServer.start();
 *   fake.enqueue({ reasoning: 'thinking...', content: 'Hello' });
 *   new Anthropic({ baseURL: fake.baseUrl, apiKey: 'test' });  // baseUrl has no /v1
 */
import { ServerResponse } from 'node:http';
import {
  argumentsText,
  errorStatus,
  estimateTokens,
  FakeLlmServer,
  FakeReply,
  FakeRequest,
  FakeServerOptions,
  splitText,
  wordChunks,
} from './fake-llm-server';

export * from './fake-llm-server';

const DEFAULT_MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5'];

const STOP_REASONS: Record<string, string> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  length: 'max_tokens',
  content_filter: 'refusal',
};

type Block =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown; raw: string };

export class FakeAnthropicServer extends FakeLlmServer {
  private constructor(options: FakeServerOptions) {
    super({ models: DEFAULT_MODELS, ...options }, { content: 'OK' });
    this.route('POST', '/v1/messages', (req, res) => this.messages(req, res));
    this.route('GET', '/v1/models', (_req, res) => this.listModels(res));
  }

  static async start(options: FakeServerOptions = {}): Promise<FakeAnthropicServer> {
    const server = new FakeAnthropicServer(options);
    await server.listen();
    return server;
  }

  /** What the Anthropic SDK takes as `baseURL` (it appends `/v1/...` itself). */
  get baseUrl(): string {
    return this.origin;
  }

  private async messages(req: FakeRequest, res: ServerResponse): Promise<void> {
    this.remember(req);
    const reply = await this.takeReply(req);
    const status = errorStatus(reply);
    if (status) {
      this.sendJson(res, status, anthropicError(status, reply), reply.headers);
      return;
    }
    const body = req.body ?? {};
    const blocks = this.blocksOf(reply);
    const hasTools = blocks.some((b) => b.type === 'tool_use');
    const finish = reply.finishReason ?? (hasTools ? 'tool_calls' : 'stop');
    const stopReason = STOP_REASONS[finish] ?? finish;
    const inputTokens = reply.usage?.promptTokens ?? estimateTokens([body.system, body.messages]);
    const outputTokens =
      reply.usage?.completionTokens ??
      estimateTokens((reply.content ?? '') + (reply.toolCalls ?? []).map(argumentsText).join(''));
    const usage = {
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      cache_read_input_tokens: reply.usage?.cachedTokens ?? 0,
      cache_creation_input_tokens: 0,
    };
    const message = {
      id: this.nextId('msg_'),
      type: 'message',
      role: 'assistant',
      model: String(body.model ?? 'fake-claude'),
      stop_sequence: null,
    };
    if (!body.stream) {
      const content = blocks.map((b) => (b.type === 'tool_use' ? { ...b, raw: undefined } : b));
      this.sendJson(res, 200, { ...message, content, stop_reason: stopReason, usage }, reply.headers);
      return;
    }
    const wait = reply.chunkDelayMs ?? 0;
    const send = (type: string, data: Record<string, unknown>, delay = 0) =>
      this.writeSse(res, { type, ...data }, type, delay);
    this.startSse(res, reply.headers);
    const startUsage = { ...usage, output_tokens: 1 };
    const startMessage = { ...message, content: [], stop_reason: null, usage: startUsage };
    if (!(await send('message_start', { message: startMessage }))) return;
    for (const [index, block] of blocks.entries()) {
      if (!(await send('content_block_start', { index, content_block: emptyBlock(block) }))) return;
      for (const delta of blockDeltas(block)) {
        if (!(await send('content_block_delta', { index, delta }, wait))) return;
      }
      if (!(await send('content_block_stop', { index }))) return;
    }
    const end = { stop_reason: stopReason, stop_sequence: null };
    if (!(await send('message_delta', { delta: end, usage: { output_tokens: outputTokens } }))) return;
    await send('message_stop', {});
    res.end();
  }

  private blocksOf(reply: FakeReply): Block[] {
    const blocks: Block[] = [];
    if (reply.reasoning) {
      blocks.push({ type: 'thinking', thinking: reply.reasoning, signature: 'fake-signature' });
    }
    if (reply.content) blocks.push({ type: 'text', text: reply.content });
    for (const call of reply.toolCalls ?? []) {
      const raw = argumentsText(call);
      let input: unknown = {};
      try {
        input = JSON.parse(raw);
      } catch {
        // Anthropic always sends an object; an unparsable script string becomes {} in JSON mode.
      }
      blocks.push({ type: 'tool_use', id: call.id ?? this.nextId('toolu_'), name: call.name, input, raw });
    }
    return blocks;
  }

  private listModels(res: ServerResponse): void {
    const data = this.models.map((m) => ({
      type: 'model',
      display_name: m.id,
      created_at: '2025-01-01T00:00:00Z',
      ...m,
    }));
    this.sendJson(res, 200, {
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
    });
  }
}

function emptyBlock(block: Block): Record<string, unknown> {
  if (block.type === 'thinking') return { type: 'thinking', thinking: '', signature: '' };
  if (block.type === 'text') return { type: 'text', text: '' };
  return { type: 'tool_use', id: block.id, name: block.name, input: {} };
}

function blockDeltas(block: Block): Array<Record<string, unknown>> {
  if (block.type === 'thinking') {
    return [
      ...wordChunks(block.thinking).map((thinking) => ({ type: 'thinking_delta', thinking })),
      { type: 'signature_delta', signature: block.signature },
    ];
  }
  if (block.type === 'text') return wordChunks(block.text).map((text) => ({ type: 'text_delta', text }));
  return splitText(block.raw, 3).map((partial_json) => ({ type: 'input_json_delta', partial_json }));
}

function anthropicError(status: number, reply: FakeReply) {
  const type =
    status === 429
      ? 'rate_limit_error'
      : status === 401
        ? 'authentication_error'
        : status === 403
          ? 'permission_error'
          : status === 529
            ? 'overloaded_error'
            : status >= 500
              ? 'api_error'
              : 'invalid_request_error';
  return {
    type: 'error',
    error: { type: reply.errorCode ?? type, message: reply.error ?? `Fake provider error (${status})` },
  };
}
