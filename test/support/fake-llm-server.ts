/**
 * The part both fake LLM servers share: an HTTP server on 127.0.0.1 (port 0), a queue of
 * scripted replies, the record of what was sent, and small SSE/JSON helpers. The protocol
 * specifics (OpenAI chat completions, Anthropic messages) live in the subclasses.
 *
 * Built for speed as well as tests: load benchmarks point agents at it, so there is no
 * per-request logging and recording can be switched off.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface FakeToolCall {
  name: string;
  /** An object is JSON-encoded; a string is sent verbatim (so tests can send invalid JSON). */
  arguments: Record<string, unknown> | string;
  id?: string;
}

export interface FakeUsage {
  promptTokens?: number;
  completionTokens?: number;
  /** Anthropic: cache_read_input_tokens; OpenAI: prompt_tokens_details.cached_tokens. */
  cachedTokens?: number;
}

export interface FakeReply {
  content?: string | null;
  toolCalls?: FakeToolCall[];
  reasoning?: string;
  usage?: FakeUsage;
  /** Extra wait before answering, on top of the server-wide `latencyMs`. */
  delayMs?: number;
  /** A non-2xx status to answer with (500, 429, 401, ...). The body is the provider's error JSON. */
  status?: number;
  /** Error message for `status`; also implies status 500 when `status` is unset. */
  error?: string;
  /** Provider error code/type, e.g. OpenAI `context_length_exceeded`. */
  errorCode?: string;
  /** OpenAI-style finish reason (`stop`, `tool_calls`, `length`); derived when unset. */
  finishReason?: string;
  /** Extra response headers (e.g. `retry-after-ms` to make SDK retries instant). */
  headers?: Record<string, string>;
  /** Pause between stream chunks, to let tests observe deltas arriving (or abort mid-stream). */
  chunkDelayMs?: number;
  /** Called as each content delta is written to the stream (benchmarks time deltas from here). */
  onChunk?: (piece: string, index: number) => void;
}

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined for bodiless requests). */
  body: any;
}

export type FakeReplyFn = (request: FakeRequest) => FakeReply | Promise<FakeReply>;
export type FakeReplySource = FakeReply | FakeReplyFn;

export interface FakeModelEntry {
  id: string;
  /** Extra provider-specific fields (context_window, context_length, max_model_len, ...). */
  [extra: string]: unknown;
}

export interface FakeServerOptions {
  /** Reply used when the queue is empty. */
  defaultReply?: FakeReplySource;
  /** Delay applied to every completion. */
  latencyMs?: number;
  /** Models served by the list endpoint. */
  models?: Array<string | FakeModelEntry>;
  /** Keep request bodies in `requests` (turn off for long benchmarks). */
  record?: boolean;
}

type Route = (req: FakeRequest, res: ServerResponse) => Promise<void> | void;

export abstract class FakeLlmServer {
  readonly requests: FakeRequest[] = [];
  latencyMs: number;
  defaultReply: FakeReplySource;
  models: FakeModelEntry[];
  record: boolean;
  private readonly queue: FakeReplySource[] = [];
  private readonly server: Server;
  private readonly routes = new Map<string, Route>();
  private counter = 0;
  private port = 0;

  protected constructor(options: FakeServerOptions, fallbackReply: FakeReply) {
    this.latencyMs = options.latencyMs ?? 0;
    this.defaultReply = options.defaultReply ?? fallbackReply;
    this.models = (options.models ?? []).map((m) => (typeof m === 'string' ? { id: m } : m));
    this.record = options.record ?? true;
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.keepAliveTimeout = 30_000;
  }

  /** Host and port only (`http://127.0.0.1:PORT`). */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queue replies; each completion request takes the next one. */
  enqueue(...replies: FakeReplySource[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Replies still waiting in the queue. */
  get pending(): number {
    return this.queue.length;
  }

  get lastRequest(): FakeRequest | undefined {
    return this.requests[this.requests.length - 1];
  }

  /** Forget queued replies and recorded requests (between tests sharing one server). */
  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  protected async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  protected route(method: string, path: string, handler: Route): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  protected nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter.toString(36).padStart(6, '0')}`;
  }

  /** Takes the next scripted reply (or the default) and waits out the configured latency. */
  protected async takeReply(request: FakeRequest): Promise<FakeReply> {
    const source = this.queue.length > 0 ? this.queue.shift()! : this.defaultReply;
    const reply = typeof source === 'function' ? await source(request) : source;
    const wait = this.latencyMs + (reply.delayMs ?? 0);
    if (wait > 0) await sleep(wait);
    return reply;
  }

  protected sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  protected startSse(res: ServerResponse, headers?: Record<string, string>): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
  }

  /** Writes one SSE event; resolves false when the client has gone away. */
  protected async writeSse(
    res: ServerResponse,
    data: unknown,
    event?: string,
    delayMs = 0,
  ): Promise<boolean> {
    if (res.destroyed || res.writableEnded) return false;
    if (delayMs > 0) {
      await sleep(delayMs);
      if (res.destroyed) return false;
    }
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    res.write(event ? `event: ${event}\ndata: ${payload}\n\n` : `data: ${payload}\n\n`);
    return true;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0];
      const raw = await readBody(req);
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        body: raw.length > 0 ? JSON.parse(raw) : undefined,
      };
      const handler = this.routes.get(`${request.method} ${path.replace(/\/+$/, '')}`);
      if (!handler) {
        this.sendJson(res, 404, { error: { message: `No route ${request.method} ${path}` } });
        return;
      }
      await handler(request, res);
    } catch (err) {
      if (!res.headersSent) this.sendJson(res, 500, { error: { message: String(err) } });
      else res.end();
    }
  }

  /** Records a request when recording is on. */
  protected remember(request: FakeRequest): void {
    if (this.record) this.requests.push(request);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Rough token estimate for default usage figures: ~4 characters per token. */
export function estimateTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}

export function argumentsText(call: FakeToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

/** Splits text into `parts` roughly equal pieces (at least one, never empty pieces). */
export function splitText(text: string, parts: number): string[] {
  if (text.length <= 1 || parts <= 1) return [text];
  const size = Math.ceil(text.length / parts);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Splits prose into word-sized deltas, keeping the whitespace attached. */
export function wordChunks(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [text];
}

/** Status to answer with, or undefined for success. */
export function errorStatus(reply: FakeReply): number | undefined {
  if (reply.status && reply.status >= 400) return reply.status;
  if (reply.error) return 500;
  return undefined;
}

/**
 * Deterministic embedding: hashed bag of words, L2-normalised, so texts sharing words land
 * near each other (useful for search tests) and the same text always gives the same vector.
 */
export function fakeEmbedding(text: string, dim: number): number[] {
  const v = new Array<number>(dim).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    const h = fnv1a(word);
    v[h % dim] += 1;
    v[(h >>> 8) % dim] += (h & 1) === 0 ? 0.5 : -0.5;
  }
  if (words.length === 0) v[0] = 1;
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / norm);
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
