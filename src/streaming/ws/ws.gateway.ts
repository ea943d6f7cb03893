import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { RawData, WebSocket, WebSocketServer } from 'ws';
import { credentialInput, CredentialsService } from '../../auth/credentials.service';
import { WsConnectionLimiter, WsLease } from '../../auth/ws-connection-limiter';
import type { AuthPrincipal } from '../../common/auth/principal';
import { DomainError } from '../../common/errors';
import { drainTime } from '../../common/graceful-shutdown';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { MetricsService } from '../../observability/metrics.service';
import { RunEventBus } from '../run-event-bus';
import { RunChunk, RunSources } from '../run-source';
import { agentResponse, ClientFrame, FrameError, parseFrame } from './ws-protocol';

/** The path of the gateway on the API port. */
export const WS_PATH = '/ws';

/** Close codes: 1001 going away (shutdown), 1008 policy (slow consumer). */
const GOING_AWAY = 1001;
const POLICY = 1008;

interface Client {
  socket: WebSocket;
  principal: AuthPrincipal;
  origin?: string;
  /** Answered the last ping (or sent something since). */
  alive: boolean;
  /** Runs this socket streams: run id → stop (ends the follow; `abandon` cancels a run it started). */
  streams: Map<string, { stop: AbortController; abandon?: () => void }>;
  /** Agents it follows: agent id → unwatch. */
  agents: Map<string, () => void>;
  /** Frames are handled one after another, so answers come in the order of the frames. */
  inbox: Promise<void>;
  release: () => void;
}

/**
 * `/ws`: Letta's WebSocket protocol on the API port (src/streaming/ws/ws-protocol.ts, README
 * "WebSocket"). The `ws` library is attached to the Fastify server's `upgrade` event directly
 * rather than through Nest's WsAdapter: Letta's frames are `{"type": ...}` (the adapter routes
 * `{"event", "data"}` and drops frames it cannot parse or route, where we must answer an error),
 * and credentials, the connection cap and backpressure are checked on the raw upgrade and socket.
 *
 * Runs a socket starts execute in this process (a foreground stream, like SSE); subscriptions
 * follow runs anywhere through the run event bus. A socket with more than
 * ENGRAM_WS_MAX_BUFFERED_BYTES waiting to be sent is dropped; one that misses a heartbeat
 * (ENGRAM_WS_HEARTBEAT_MS) is terminated.
 */
@Injectable()
export class WsGateway implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WsGateway.name);
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private heartbeat?: NodeJS.Timeout;
  private server?: Server;
  private closing = false;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    void this.upgrade(req, socket, head);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly credentials: CredentialsService,
    private readonly limiter: WsConnectionLimiter,
    private readonly sources: RunSources,
    private readonly bus: RunEventBus,
    private readonly metrics: MetricsService,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.http.bodyLimitBytes,
      clientTracking: false,
    });
  }

  /** Connected sockets in this process. */
  get connections(): number {
    return this.clients.size;
  }

  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    this.server = adapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
    // fastify.close() waits for every socket, and upgraded ones are not the HTTP server's to
    // cut: on close, idle sockets go now, busy ones when their streams end or the drain is over.
    (adapter.getInstance() as FastifyInstance).addHook('preClose', (done) => {
      this.drain();
      done();
    });
    this.heartbeat = setInterval(() => this.beat(), this.config.ws.heartbeatMs);
    this.heartbeat.unref();
  }

  onModuleDestroy(): void {
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.server?.off('upgrade', this.onUpgrade);
    for (const c of this.clients) this.goAway(c, true);
    this.wss.close();
  }

  private drain(): void {
    this.closing = true;
    for (const c of this.clients) if (c.streams.size === 0) this.goAway(c);
    const timer = setTimeout(
      () => {
        for (const c of this.clients) this.goAway(c, true);
      },
      Math.max(drainTime(this.config.shutdownGraceMs), 0),
    );
    timer.unref();
  }

  private goAway(c: Client, now = false): void {
    if (c.socket.readyState === WebSocket.OPEN) c.socket.close(GOING_AWAY, 'Server shutting down');
    if (now) c.socket.terminate();
  }

  private beat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.logger.debug('terminating a WebSocket that missed its heartbeat');
        this.metrics.wsConnectionDropped('heartbeat');
        this.clients.delete(c);
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.replace(/\/+$/, '') !== WS_PATH)
      return refuse(socket, 404, `No WebSocket endpoint at ${url.pathname}; connect to ${WS_PATH}`);
    if (this.closing) return refuse(socket, 503, 'The server is shutting down');
    let principal: AuthPrincipal;
    let lease: WsLease | null;
    try {
      principal = await this.credentials.authenticate(
        credentialInput(req.headers, url.searchParams.get('token')),
      );
      lease = await this.limiter.acquire(principal);
    } catch (err) {
      if (err instanceof DomainError) return refuse(socket, err.status, err.message);
      this.logger.error({ err }, 'WebSocket upgrade failed');
      return refuse(socket, 500, 'Internal error');
    }
    if (!lease)
      return refuse(
        socket,
        429,
        `Too many WebSocket connections for this credential (at most ${this.limiter.maxPerCredential})`,
      );
    if (socket.destroyed || this.closing) {
      void lease.release();
      return refuse(socket, 503, 'The server is shutting down');
    }
    const held = lease;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, principal, held, req));
  }

  private connected(socket: WebSocket, principal: AuthPrincipal, lease: WsLease, req: IncomingMessage): void {
    const closed = this.metrics.streamOpened('websocket');
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const c: Client = {
      socket,
      principal,
      origin,
      alive: true,
      streams: new Map(),
      agents: new Map(),
      inbox: Promise.resolve(),
      release: () => {
        closed();
        void lease.release();
      },
    };
    this.clients.add(c);
    socket.on('pong', () => (c.alive = true));
    socket.on('error', (err) => this.logger.debug(`WebSocket error: ${err.message}`));
    socket.on('message', (data, isBinary) => {
      c.alive = true;
      c.inbox = c.inbox.then(() => this.onFrame(c, data, isBinary));
    });
    socket.once('close', () => {
      this.clients.delete(c);
      for (const s of c.streams.values()) {
        s.stop.abort();
        s.abandon?.();
      }
      c.streams.clear();
      for (const unwatch of c.agents.values()) unwatch();
      c.agents.clear();
      c.release();
    });
  }

  private async onFrame(c: Client, data: RawData, isBinary: boolean): Promise<void> {
    let frame: ClientFrame;
    try {
      if (isBinary) throw new FrameError('invalid_frame', 'Frames are JSON text, not binary');
      frame = parseFrame(rawText(data));
    } catch (err) {
      const known = err instanceof FrameError;
      this.send(c, {
        type: 'error',
        code: known ? err.code : 'invalid_frame',
        message: known ? err.message : 'The frame could not be read',
      });
      return;
    }
    try {
      if (frame.type === 'user_message') await this.userMessage(c, frame.agent_id, frame.message);
      else if (frame.type === 'subscribe') {
        if (frame.run_id) await this.subscribeRun(c, frame.run_id, frame.starting_after);
        else await this.subscribeAgent(c, frame.agent_id!);
      } else this.unsubscribe(c, frame);
    } catch (err) {
      const known = err instanceof DomainError;
      if (!known) this.logger.error({ err }, `WebSocket ${frame.type} failed`);
      this.send(c, {
        type: 'agent_response_error',
        request: frame.type,
        ...(frame.agent_id ? { agent_id: frame.agent_id } : {}),
        ...(frame.run_id ? { run_id: frame.run_id } : {}),
        status: known ? err.status : 500,
        code: known ? err.code : 'internal_error',
        message: known ? err.message : 'Internal error',
      });
    }
  }

  private authorize(c: Client, agentId: string, write: boolean): void {
    this.credentials.authorize(
      c.principal,
      { role: 'member', agentScope: 'messages', read: !write },
      { method: write ? 'POST' : 'GET', agentId, origin: c.origin },
    );
  }

  private async userMessage(c: Client, agentId: string, text: string): Promise<void> {
    this.authorize(c, agentId, true);
    const run = await this.sources.get().send(c.principal, agentId, text);
    if (c.socket.readyState !== WebSocket.OPEN) return run.abandon();
    this.stream(c, run.runId, run.chunks, new AbortController(), () => run.abandon());
  }

  private async subscribeRun(c: Client, runId: string, startingAfter = 0): Promise<void> {
    if (c.streams.has(runId)) {
      this.send(c, { type: 'subscribed', run_id: runId });
      return;
    }
    const stop = new AbortController();
    const chunks = await this.sources
      .get()
      .follow(c.principal, runId, startingAfter, (agentId) => this.authorize(c, agentId, false), stop.signal);
    this.send(c, { type: 'subscribed', run_id: runId });
    this.stream(c, runId, chunks, stop);
  }

  private async subscribeAgent(c: Client, agentId: string): Promise<void> {
    if (c.agents.has(agentId)) {
      this.send(c, { type: 'subscribed', agent_id: agentId });
      return;
    }
    this.authorize(c, agentId, false);
    const source = this.sources.get();
    const seen = new Set<string>();
    const follow = (runId: string) => {
      if (seen.has(runId) || c.streams.has(runId) || !c.agents.has(agentId)) return;
      seen.add(runId);
      const stop = new AbortController();
      source.follow(c.principal, runId, 0, undefined, stop.signal).then(
        (chunks) => this.stream(c, runId, chunks, stop),
        (err: Error) => this.logger.warn(`following run ${runId} for a WebSocket: ${err.message}`),
      );
    };
    // Watch first, then look: a run starting in between is seen twice and followed once.
    const unwatch = await this.bus.watchAgent(agentId, follow);
    c.agents.set(agentId, unwatch);
    let active: string[];
    try {
      active = await source.activeRuns(c.principal, agentId);
    } catch (err) {
      c.agents.delete(agentId);
      unwatch();
      throw err;
    }
    if (c.socket.readyState !== WebSocket.OPEN) return;
    this.send(c, { type: 'subscribed', agent_id: agentId, active_run_ids: active });
    for (const id of active) follow(id);
  }

  private unsubscribe(c: Client, frame: ClientFrame): void {
    if (frame.agent_id) {
      c.agents.get(frame.agent_id)?.();
      c.agents.delete(frame.agent_id);
    } else if (frame.run_id) {
      const s = c.streams.get(frame.run_id);
      s?.stop.abort();
      c.streams.delete(frame.run_id);
    }
    this.send(c, {
      type: 'unsubscribed',
      ...(frame.agent_id ? { agent_id: frame.agent_id } : { run_id: frame.run_id }),
    });
  }

  /** Writes a run's chunks as `agent_response` events between `agent_response_start` and `_end`. */
  private stream(
    c: Client,
    runId: string,
    chunks: AsyncIterable<RunChunk>,
    stop: AbortController,
    abandon?: () => void,
  ): void {
    c.streams.set(runId, { stop, abandon });
    void (async () => {
      let stopReason: unknown = null;
      let ended = false;
      try {
        if (!this.send(c, { type: 'agent_response_start', run_id: runId })) return;
        for await (const chunk of chunks) {
          if (stop.signal.aborted) return;
          if (chunk.message_type === 'stop_reason') stopReason = chunk.stop_reason;
          if (!this.send(c, agentResponse(runId, chunk))) return;
        }
        ended = true;
      } catch (err) {
        this.send(c, {
          type: 'agent_response_error',
          run_id: runId,
          code: 'internal_error',
          message: (err as Error).message,
        });
      } finally {
        if (c.streams.get(runId)?.stop === stop) c.streams.delete(runId);
        if (ended && !stop.signal.aborted)
          this.send(c, { type: 'agent_response_end', run_id: runId, stop_reason: stopReason });
        if (this.closing && c.streams.size === 0) this.goAway(c);
      }
    })();
  }

  /**
   * Sends one event; false when the socket is gone. A client that has not taken what was sent
   * before (more than ENGRAM_WS_MAX_BUFFERED_BYTES still queued) is dropped as a slow consumer.
   */
  private send(c: Client, event: Record<string, unknown>): boolean {
    const s = c.socket;
    if (s.readyState !== WebSocket.OPEN) return false;
    if (s.bufferedAmount > this.config.ws.maxBufferedBytes) {
      this.logger.warn(
        `dropping a slow WebSocket consumer: ${s.bufferedAmount} bytes unsent (limit ${this.config.ws.maxBufferedBytes})`,
      );
      this.metrics.wsConnectionDropped('slow_consumer');
      for (const st of c.streams.values()) {
        st.stop.abort();
        st.abandon?.();
      }
      s.close(POLICY, 'Slow consumer: too much unsent data');
      // Its buffer is full, so the close frame may never reach it: cut the connection soon.
      setTimeout(() => s.terminate(), 1_000).unref();
      return false;
    }
    s.send(JSON.stringify(event));
    return true;
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Buffer.from(data).toString('utf8');
}

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Answers the upgrade request with an HTTP error and `{detail}` (Letta's error body), then closes. */
function refuse(socket: Duplex, status: number, detail: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ detail });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '') +
      'Connection: close\r\n\r\n' +
      body,
  );
}
