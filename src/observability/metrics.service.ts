import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the pool gauges read at scrape time: `pg`'s Pool has exactly these counters. */
export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

/** Job counts of one queue, as Bull's `getJobCounts()` answers them. */
export type QueueCounts = Partial<Record<'waiting' | 'active' | 'delayed' | 'failed' | 'paused', number>>;

export type StreamTransport = 'sse' | 'ndjson' | 'websocket';

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const STEP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const LLM_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];
const TOOL_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800];

/**
 * Every Prometheus series Engram exports, in one registry per process (`GET /metrics`).
 *
 * Call sites record through the small methods below, never through prom-client directly, so
 * names and labels stay in one place. Gauges that mirror state somebody else owns (the
 * database pool, queue depths) are read at scrape time, so they cost nothing between scrapes.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'engram_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  private readonly runs = new Counter({
    name: 'engram_runs_total',
    help: 'Agent runs finished, by Letta stop reason',
    labelNames: ['stop_reason'] as const,
    registers: [this.registry],
  });

  private readonly runDuration = new Histogram({
    name: 'engram_run_duration_seconds',
    help: 'Agent run duration from start to stop, by Letta stop reason',
    labelNames: ['stop_reason'] as const,
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  });

  private readonly stepDuration = new Histogram({
    name: 'engram_step_duration_seconds',
    help: 'Agent step duration (LLM call, tool calls and the step commit)',
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });

  private readonly llmTokens = new Counter({
    name: 'engram_llm_tokens_total',
    help: 'LLM tokens as providers report them, by provider, model and kind (prompt, completion)',
    labelNames: ['provider', 'model', 'kind'] as const,
    registers: [this.registry],
  });

  private readonly llmDuration = new Histogram({
    name: 'engram_llm_request_duration_seconds',
    help: 'LLM request latency (to the last streamed token), by provider and outcome (ok, error, cancelled)',
    labelNames: ['provider', 'outcome'] as const,
    buckets: LLM_BUCKETS,
    registers: [this.registry],
  });

  private readonly toolDuration = new Histogram({
    name: 'engram_tool_execution_duration_seconds',
    help: 'Tool execution duration, by tool type and status',
    labelNames: ['tool_type', 'status'] as const,
    buckets: TOOL_BUCKETS,
    registers: [this.registry],
  });

  private readonly jobDuration = new Histogram({
    name: 'engram_queue_job_duration_seconds',
    help: 'Background job duration, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });

  private readonly activeStreams = new Gauge({
    name: 'engram_active_stream_connections',
    help: 'Open streaming connections, by transport (sse, websocket)',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  private readonly wsDropped = new Counter({
    name: 'engram_ws_dropped_connections_total',
    help: 'WebSocket connections the server cut, by reason (slow_consumer, heartbeat)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly queues = new Map<string, () => Promise<QueueCounts>>();
  private pool?: PoolStats;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const transport of ['sse', 'websocket'] as const) this.activeStreams.set({ transport }, 0);
    for (const reason of ['slow_consumer', 'heartbeat'] as const) this.wsDropped.inc({ reason }, 0);

    const queues = this.queues;
    new Gauge({
      name: 'engram_queue_jobs',
      help: 'Jobs in each queue, by queue and state (waiting, active, delayed, failed, paused)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          [...queues].map(async ([queue, counts]) => {
            const c = await counts().catch(() => undefined);
            for (const [state, n] of Object.entries(c ?? {})) this.set({ queue, state }, n ?? 0);
          }),
        );
      },
    });

    const pool = () => this.pool;
    new Gauge({
      name: 'engram_db_pool_connections_in_use',
      help: 'Database connections lent out by the pool',
      registers: [this.registry],
      collect() {
        const p = pool();
        this.set(p ? p.totalCount - p.idleCount : 0);
      },
    });
    new Gauge({
      name: 'engram_db_pool_waiting_requests',
      help: 'Queries waiting for a free database connection',
      registers: [this.registry],
      collect() {
        this.set(pool()?.waitingCount ?? 0);
      },
    });
    new Gauge({
      name: 'engram_db_pool_max_connections',
      help: 'Size limit of the database pool',
      registers: [this.registry],
      collect() {
        this.set(pool()?.options?.max ?? 0);
      },
    });
  }

  /** The Prometheus text exposition of every series, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** One HTTP request. `route` is the route template (`/v1/agents/:agent_id`), never the raw URL. */
  httpRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  /** An agent run stopped (any stop reason, `error` and `cancelled` included). */
  runFinished(stopReason: string, seconds: number): void {
    this.runs.inc({ stop_reason: stopReason });
    this.runDuration.observe({ stop_reason: stopReason }, seconds);
  }

  /** One agent step committed (or failed). */
  stepFinished(seconds: number): void {
    this.stepDuration.observe(seconds);
  }

  /** One LLM request; `usage` is absent when the call failed before the provider reported it. */
  llmRequest(
    provider: string,
    model: string,
    seconds: number,
    outcome: 'ok' | 'error' | 'cancelled',
    usage?: { promptTokens: number; completionTokens: number },
  ): void {
    this.llmDuration.observe({ provider, outcome }, seconds);
    if (usage) {
      if (usage.promptTokens) this.llmTokens.inc({ provider, model, kind: 'prompt' }, usage.promptTokens);
      if (usage.completionTokens)
        this.llmTokens.inc({ provider, model, kind: 'completion' }, usage.completionTokens);
    }
  }

  /** One tool call outside the agent loop's own memory tools (custom code, MCP). */
  toolExecuted(toolType: string, status: 'success' | 'error', seconds: number): void {
    this.toolDuration.observe({ tool_type: toolType, status }, seconds);
  }

  /** One background job left the worker: done, failed, or handed back to the queue. */
  jobFinished(queue: string, outcome: 'completed' | 'failed' | 'returned', seconds: number): void {
    this.jobDuration.observe({ queue, outcome }, seconds);
  }

  /** Makes `engram_queue_jobs` report this queue; `counts` is called at each scrape. */
  registerQueue(queue: string, counts: () => Promise<QueueCounts>): void {
    this.queues.set(queue, counts);
  }

  /**
   * A streaming connection opened; call the returned function when it closes (extra calls are
   * ignored, so it can be wired to several close paths).
   */
  /** The `/ws` gateway cut a connection: its client read too slowly, or missed a heartbeat. */
  wsConnectionDropped(reason: 'slow_consumer' | 'heartbeat'): void {
    this.wsDropped.inc({ reason });
  }

  streamOpened(transport: StreamTransport): () => void {
    this.activeStreams.inc({ transport });
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.activeStreams.dec({ transport });
    };
  }

  /** Makes the pool gauges read this pool (the `pg` Pool under TypeORM). */
  observePool(pool: PoolStats | undefined): void {
    this.pool = pool;
  }
}
