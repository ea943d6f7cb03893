/**
 * A scripted OpenAI-compatible server over real HTTP, for tests and benchmarks:
 * `POST /v1/chat/completions` (JSON and SSE), `GET /v1/models`, `POST /v1/embeddings`.
 *
 *   const fake = await FakeOpenAiServer.start();
 *   fake.enqueue({ toolCalls: [{ name: 'send_message', arguments: { message: 'hi' } }] });
 *   // point the client at fake.baseUrl (http://127.0.0.1:PORT/v1), then:
 *   expect(fake.lastRequest?.body.messages[0].content).toContain('persona');
 *   await fake.close();
 */
import { ServerResponse } from 'node:http';
import {
  argumentsText,
  errorStatus,
  estimateTokens,
  fakeEmbedding,
  FakeLlmServer,
  FakeReply,
  FakeRequest,
  FakeServerOptions,
  FakeToolCall,
  sleep,
  splitText,
  wordChunks,
} from './fake-llm-server';

export * from './fake-llm-server';

export interface FakeOpenAiOptions extends FakeServerOptions {
  /** Dimension of `/v1/embeddings` vectors when the request gives no `dimensions`. */
  embeddingDim?: number;
}

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];

export class FakeOpenAiServer extends FakeLlmServer {
  embeddingDim: number;
  /**
   * Awaited before each `/v1/embeddings` answer (with the request's number, from 1): a test holds
   * an ingestion mid-file with it, e.g. to kill the process that is embedding.
   */
  embeddingGate?: (n: number) => Promise<void> | void;
  private embeddingCalls = 0;

  private constructor(options: FakeOpenAiOptions) {
    super({ models: DEFAULT_MODELS, ...options }, { content: 'OK' });
    this.embeddingDim = options.embeddingDim ?? 1536;
    this.route('POST', '/v1/chat/completions', (req, res) => this.chat(req, res));
    this.route('GET', '/v1/models', (_req, res) => this.listModels(res));
    this.route('POST', '/v1/embeddings', (req, res) => this.embeddings(req, res));
  }

  static async start(options: FakeOpenAiOptions = {}): Promise<FakeOpenAiServer> {
    const server = new FakeOpenAiServer(options);
    await server.listen();
    return server;
  }

  /** What an OpenAI SDK takes as `baseURL`: `http://127.0.0.1:PORT/v1`. */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** Chat-completion requests only (embeddings and model lists filtered out). */
  get chatRequests(): FakeRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/chat/completions'));
  }

  private async chat(req: FakeRequest, res: ServerResponse): Promise<void> {
    this.remember(req);
    const reply = await this.takeReply(req);
    const status = errorStatus(reply);
    if (status) {
      this.sendJson(res, status, openAiError(status, reply), reply.headers);
      return;
    }
    const body = req.body ?? {};
    const model = String(body.model ?? 'fake-model');
    const calls = (reply.toolCalls ?? []).map((c) => ({ ...c, id: c.id ?? this.nextId('call_') }));
    const usage = usageOf(reply, body);
    const finish = reply.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
    const id = this.nextId('chatcmpl-');
    if (body.stream) {
      await this.streamChat(res, {
        id,
        model,
        reply,
        calls,
        finish,
        usage,
        includeUsage: !!body.stream_options?.include_usage,
      });
      return;
    }
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: reply.content ?? (calls.length > 0 ? null : ''),
      refusal: null,
    };
    if (reply.reasoning) message.reasoning_content = reply.reasoning;
    if (calls.length > 0) message.tool_calls = calls.map((c) => toolCallJson(c));
    this.sendJson(
      res,
      200,
      {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message, finish_reason: finish, logprobs: fakeLogprobs(body, reply) }],
        usage,
      },
      reply.headers,
    );
  }

  private async streamChat(
    res: ServerResponse,
    s: {
      id: string;
      model: string;
      reply: FakeReply;
      calls: Array<FakeToolCall & { id: string }>;
      finish: string;
      usage: ReturnType<typeof usageOf>;
      includeUsage: boolean;
    },
  ): Promise<void> {
    const created = Math.floor(Date.now() / 1000);
    const wait = s.reply.chunkDelayMs ?? 0;
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id: s.id,
      object: 'chat.completion.chunk',
      created,
      model: s.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    this.startSse(res, s.reply.headers);
    if (!(await this.writeSse(res, chunk({ role: 'assistant', content: '' })))) return;
    for (const piece of s.reply.reasoning ? wordChunks(s.reply.reasoning) : []) {
      if (!(await this.writeSse(res, chunk({ reasoning_content: piece }), undefined, wait))) return;
    }
    for (const [i, piece] of (s.reply.content ? wordChunks(s.reply.content) : []).entries()) {
      if (wait > 0) await sleep(wait);
      if (res.destroyed) return;
      s.reply.onChunk?.(piece, i);
      if (!(await this.writeSse(res, chunk({ content: piece })))) return;
    }
    for (const [index, call] of s.calls.entries()) {
      // The first chunk names the call; its arguments then arrive in several pieces.
      const head = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
      if (!(await this.writeSse(res, chunk({ tool_calls: [head] }), undefined, wait))) return;
      for (const part of splitText(argumentsText(call), 3)) {
        const delta = { tool_calls: [{ index, function: { arguments: part } }] };
        if (!(await this.writeSse(res, chunk(delta), undefined, wait))) return;
      }
    }
    if (!(await this.writeSse(res, chunk({}, s.finish)))) return;
    if (s.includeUsage) {
      const last = {
        id: s.id,
        object: 'chat.completion.chunk',
        created,
        model: s.model,
        choices: [],
        usage: s.usage,
      };
      if (!(await this.writeSse(res, last))) return;
    }
    await this.writeSse(res, '[DONE]');
    res.end();
  }

  private listModels(res: ServerResponse): void {
    const created = Math.floor(Date.now() / 1000);
    this.sendJson(res, 200, {
      object: 'list',
      data: this.models.map((m) => ({ object: 'model', created, owned_by: 'fake', ...m })),
    });
  }

  private async embeddings(req: FakeRequest, res: ServerResponse): Promise<void> {
    this.remember(req);
    await this.embeddingGate?.(++this.embeddingCalls);
    const body = req.body ?? {};
    const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
    const dim = typeof body.dimensions === 'number' ? body.dimensions : this.embeddingDim;
    const base64 = body.encoding_format === 'base64';
    const data = inputs.map((input, index) => {
      const vector = fakeEmbedding(typeof input === 'string' ? input : JSON.stringify(input), dim);
      // The OpenAI SDK asks for base64 (little-endian float32) by default and decodes it itself.
      const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    });
    const tokens = inputs.reduce<number>((n, input) => n + estimateTokens(input), 0);
    this.sendJson(res, 200, {
      object: 'list',
      data,
      model: body.model ?? 'fake-embedding',
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }
}

/** With `logprobs: true`: one entry per word of the reply, `top_logprobs` alternatives each. */
function fakeLogprobs(body: any, reply: FakeReply) {
  if (!body.logprobs) return null;
  const top = typeof body.top_logprobs === 'number' ? body.top_logprobs : 0;
  const content = (reply.content ? wordChunks(reply.content) : []).map((token, i) => ({
    token,
    logprob: -0.25 * (i + 1),
    bytes: [...Buffer.from(token)],
    top_logprobs: Array.from({ length: top }, (_, k) => ({
      token: `${token}${k}`,
      logprob: -1 - k,
      bytes: null,
    })),
  }));
  return { content, refusal: null };
}

function toolCallJson(call: FakeToolCall & { id: string }) {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: argumentsText(call) } };
}

function usageOf(reply: FakeReply, body: any) {
  const prompt = reply.usage?.promptTokens ?? estimateTokens(body.messages ?? '');
  const completion =
    reply.usage?.completionTokens ??
    estimateTokens((reply.content ?? '') + (reply.toolCalls ?? []).map(argumentsText).join(''));
  const usage: Record<string, unknown> = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  if (reply.usage?.cachedTokens !== undefined) {
    usage.prompt_tokens_details = { cached_tokens: reply.usage.cachedTokens };
  }
  return usage;
}

function openAiError(status: number, reply: FakeReply) {
  const type =
    status === 429
      ? 'rate_limit_exceeded'
      : status === 401 || status === 403
        ? 'invalid_api_key'
        : status >= 500
          ? 'server_error'
          : 'invalid_request_error';
  return {
    error: {
      message: reply.error ?? `Fake provider error (${status})`,
      type,
      param: null,
      code: reply.errorCode ?? type,
    },
  };
}
