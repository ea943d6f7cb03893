import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { DEFAULT_INHERITED_ENV_VARS, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { createHash } from 'node:crypto';
import { VERSION } from '../common/version';
import { McpCallResult, McpToolInfo, stdioEnv } from './mcp-content';
import { MCP_CONFIG, McpConfig } from './mcp.config';

/** How to reach one MCP server, with its secrets already decrypted. */
export type McpConnectionConfig =
  | { type: 'streamable_http' | 'sse'; url: string; headers: Record<string, string> }
  | { type: 'stdio'; command: string; args: string[]; env: Record<string, string> };

export interface McpTarget {
  /** The server's id: one cached connection per server. */
  id: string;
  name: string;
  config: McpConnectionConfig;
}

/** Connecting to the server failed or timed out: nothing was sent to a tool. */
export class McpConnectError extends Error {
  override name = 'McpConnectError';
}

/** A request to a connected server timed out. */
export class McpTimeoutError extends Error {
  override name = 'McpTimeoutError';
}

interface Entry {
  fingerprint: string;
  ready: Promise<Client>;
  client?: Client;
  closed: boolean;
  inflight: number;
  lastUsed: number;
  /** Replaced by a newer configuration: close once the last call finishes. */
  retired: boolean;
}

/**
 * One cached MCP client connection per server. Connections open on first use (bounded by the
 * connect timeout), are reused by later calls, closed after `idleMs` without use, replaced when
 * the server's configuration changes or the connection drops, and all closed on shutdown.
 * Every request carries the call timeout, so a hung server becomes an error, never a hang.
 */
@Injectable()
export class McpClientPool implements OnApplicationShutdown {
  private readonly logger = new Logger(McpClientPool.name);
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Inject(MCP_CONFIG) private readonly config: McpConfig) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(30_000, Math.max(500, config.idleMs / 2)));
    this.sweeper.unref();
  }

  /** Every tool the server offers (all pages of tools/list). */
  listTools(target: McpTarget): Promise<McpToolInfo[]> {
    return this.withClient(target, 'always', async (client) => {
      const tools: McpToolInfo[] = [];
      let cursor: string | undefined;
      do {
        const page = await this.request(target, 'listing tools', (opts) =>
          client.listTools(cursor ? { cursor } : undefined, opts),
        );
        tools.push(
          ...page.tools.map((t) => ({
            name: t.name,
            description: t.description,
            inputSchema: t.inputSchema,
          })),
        );
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    });
  }

  /**
   * Calls one tool. A call is retried on a fresh connection only when it provably never reached
   * the server (the cached session was gone or the connection refused), so side effects run once.
   */
  callTool(
    target: McpTarget,
    name: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<McpCallResult> {
    return this.withClient(target, 'unsent', (client) =>
      this.request(target, `calling tool '${name}'`, (opts) =>
        client.callTool({ name, arguments: args }, undefined, {
          ...opts,
          signal: anySignal(opts.signal, signal),
        }),
      ),
    ) as Promise<McpCallResult>;
  }

  /** Drops the server's cached connection (after its configuration changed or it was deleted). */
  async close(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    await this.closeEntry(entry);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.closeEntry(e)));
  }

  /** Open connections, for tests and health: server id → in-flight calls. */
  openConnections(): Map<string, number> {
    return new Map([...this.entries].filter(([, e]) => !e.closed).map(([id, e]) => [id, e.inflight]));
  }

  private async withClient<T>(
    target: McpTarget,
    retry: 'always' | 'unsent',
    fn: (c: Client) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const entry = this.acquire(target);
      const reused = entry.client !== undefined;
      entry.inflight++;
      try {
        const client = await entry.ready;
        return await fn(client);
      } catch (err) {
        const dropped = isConnectionLost(err) || entry.closed;
        if (dropped || err instanceof McpConnectError) this.evict(target.id, entry);
        const retriable = retry === 'always' ? dropped : isUnsent(err);
        if (attempt === 0 && reused && retriable) {
          this.logger.debug(
            `MCP server '${target.name}': stale connection (${(err as Error).message}), reconnecting`,
          );
          continue;
        }
        throw err;
      } finally {
        entry.inflight--;
        entry.lastUsed = Date.now();
        if (entry.retired && entry.inflight === 0) void this.closeEntry(entry);
      }
    }
  }

  /** One request with the call timeout, plus a deadline of our own in case the SDK's never fires. */
  private async request<T>(
    target: McpTarget,
    what: string,
    send: (opts: { timeout: number; signal: AbortSignal }) => Promise<T>,
  ) {
    const ms = this.config.callTimeoutMs;
    const abort = new AbortController();
    try {
      return await withDeadline(send({ timeout: ms, signal: abort.signal }), ms + 1_000, () => abort.abort());
    } catch (err) {
      const timedOut =
        err instanceof DeadlineError ||
        (err instanceof McpError && err.code === Number(ErrorCode.RequestTimeout));
      if (timedOut)
        throw new McpTimeoutError(`MCP server '${target.name}' did not answer ${what} within ${ms} ms`);
      throw err;
    }
  }

  private acquire(target: McpTarget): Entry {
    const fingerprint = fingerprintOf(target.config);
    const current = this.entries.get(target.id);
    if (current && !current.closed && current.fingerprint === fingerprint) return current;
    if (current) this.retire(target.id, current);
    const entry: Entry = {
      fingerprint,
      closed: false,
      inflight: 0,
      lastUsed: Date.now(),
      retired: false,
      ready: undefined!,
    };
    entry.ready = this.connect(target, entry);
    entry.ready.catch(() => undefined); // observed by callers; never an unhandled rejection
    this.entries.set(target.id, entry);
    return entry;
  }

  private async connect(target: McpTarget, entry: Entry): Promise<Client> {
    const ms = this.config.connectTimeoutMs;
    const client = new Client({ name: 'engram', version: VERSION });
    const transport = this.transportFor(target);
    client.onclose = () => {
      entry.closed = true;
    };
    client.onerror = (e) => this.logger.debug(`MCP server '${target.name}': ${e.message}`);
    const abort = new AbortController();
    try {
      await withDeadline(client.connect(transport, { timeout: ms, signal: abort.signal }), ms + 500, () =>
        abort.abort(),
      );
    } catch (err) {
      await client.close().catch(() => undefined);
      await transport.close().catch(() => undefined);
      const timedOut =
        err instanceof DeadlineError ||
        (err instanceof McpError && err.code === Number(ErrorCode.RequestTimeout));
      const why = timedOut ? `no answer within ${ms} ms` : describeError(err);
      throw new McpConnectError(`Could not connect to MCP server '${target.name}': ${why}`);
    }
    entry.client = client;
    return client;
  }

  private transportFor(target: McpTarget): Transport {
    const c = target.config;
    switch (c.type) {
      case 'streamable_http':
        return new StreamableHTTPClientTransport(new URL(c.url), { requestInit: { headers: c.headers } });
      case 'sse':
        return new SSEClientTransport(new URL(c.url), { requestInit: { headers: c.headers } });
      case 'stdio': {
        const transport = new StdioClientTransport({
          command: c.command,
          args: c.args,
          // Only the configured variables (+ PATH): never the server's own environment.
          env: stdioEnv(c.env, DEFAULT_INHERITED_ENV_VARS, process.env.PATH),
          stderr: 'pipe',
        });
        transport.stderr?.on('data', (chunk: Buffer) =>
          this.logger.debug(`MCP server '${target.name}' stderr: ${chunk.toString('utf8').trimEnd()}`),
        );
        return transport;
      }
    }
  }

  private retire(id: string, entry: Entry): void {
    if (this.entries.get(id) === entry) this.entries.delete(id);
    entry.retired = true;
    if (entry.inflight === 0) void this.closeEntry(entry);
  }

  private evict(id: string, entry: Entry): void {
    if (this.entries.get(id) === entry) this.entries.delete(id);
    void this.closeEntry(entry);
  }

  private async closeEntry(entry: Entry): Promise<void> {
    entry.closed = true;
    const client = entry.client ?? (await entry.ready.catch(() => undefined));
    await client?.close().catch((e: Error) => this.logger.debug(`closing an MCP client: ${e.message}`));
  }

  private sweep(): void {
    const cutoff = Date.now() - this.config.idleMs;
    for (const [id, entry] of this.entries) {
      if (entry.inflight === 0 && (entry.closed || entry.lastUsed < cutoff)) this.evict(id, entry);
    }
  }
}

class DeadlineError extends Error {}

function withDeadline<T>(p: Promise<T>, ms: number, onExpire: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onExpire();
      reject(new DeadlineError(`deadline of ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function anySignal(a: AbortSignal, b?: AbortSignal): AbortSignal {
  return b ? AbortSignal.any([a, b]) : a;
}

function fingerprintOf(config: McpConnectionConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

/** The connection itself is gone (process exited, socket closed, session expired). */
function isConnectionLost(err: unknown): boolean {
  if (err instanceof McpError) return err.code === Number(ErrorCode.ConnectionClosed);
  return isUnsent(err) || (err instanceof Error && /not connected|closed/i.test(err.message));
}

/** Failures where the request cannot have reached a tool: an expired session or a refused connection. */
function isUnsent(err: unknown): boolean {
  if (err instanceof StreamableHTTPError) return err.code === 404;
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  return err instanceof TypeError && cause?.code === 'ECONNREFUSED';
}

function describeError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(err)}${cause && !e.message.includes(cause) ? ` (${cause})` : ''}`;
}
