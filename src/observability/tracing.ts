import {
  Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
  Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/config';
import { VERSION } from '../common/version';

/**
 * OpenTelemetry traces, on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-only variant) is
 * set. Off, nothing is registered: `withSpan` calls its function straight away, the HTTP server
 * is Fastify's own, and no query subscriber is installed.
 *
 * Spans: one per HTTP request (`GET /v1/agents/:agent_id`), LLM call, tool call and SQL query;
 * runs and steps use `withSpan`. The request's trace id is its `x-request-id` and is in its logs.
 */

const TRACER_NAME = 'engram';
/** How long closing waits for the last spans to be exported. */
const SHUTDOWN_FLUSH_MS = 5_000;
let active = false;
const requestSpans = new WeakMap<IncomingMessage, Span>();

export function tracingActive(): boolean {
  return active;
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME, VERSION);
}

/**
 * Runs `fn` inside a new span that is the parent of every span started under it (LLM and tool
 * calls, SQL queries), and ends it when `fn` settles; a throw marks it failed. With tracing off
 * it only calls `fn` (with no span).
 *
 *   await withSpan('agent.run', { 'engram.run_id': run.id }, () => runner.execute(run));
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T> | T,
): Promise<T> {
  if (!active) return fn(undefined);
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed with the error's type and message. */
export function failSpan(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setAttribute('error.type', error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/** The span of an HTTP request (its trace id is the request id). */
export function requestSpan(req: IncomingMessage): Span | undefined {
  return requestSpans.get(req);
}

/** `trace_id` / `span_id` of the active span, for log lines; empty with tracing off. */
export function traceLogFields(): Record<string, string> {
  const span = active ? trace.getActiveSpan() : undefined;
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export interface Tracing {
  /** A Fastify `serverFactory` that runs each request inside its span. */
  serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void, opts: any) => Server;
  /** Exports what is buffered and unregisters everything (idempotent). */
  shutdown(): Promise<void>;
}

/**
 * Registers the tracer provider (OTLP over HTTP, batched) when the config names an endpoint;
 * undefined otherwise. One per process: a second call before `shutdown` throws.
 */
export function startTracing(config: AppConfig, defaultServiceName: string): Tracing | undefined {
  const url = config.tracing.endpoint;
  if (!url) return undefined;
  if (active) throw new Error('OpenTelemetry tracing is already started in this process');
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.tracing.serviceName ?? defaultServiceName,
      [ATTR_SERVICE_VERSION]: VERSION,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  provider.register();
  active = true;

  let stopping: Promise<void> | undefined;
  return {
    serverFactory: (handler, opts) => {
      // The same server Fastify would build, with each request run inside its span.
      const server = createServer(opts.http ?? {}, (req, res) => {
        const parent = propagation.extract(ROOT_CONTEXT, req.headers);
        const method = req.method ?? 'GET';
        const span = tracer().startSpan(
          method,
          {
            kind: SpanKind.SERVER,
            attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: req.url?.split('?')[0] },
          },
          parent,
        );
        requestSpans.set(req, span);
        res.once('close', () => {
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
          if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        });
        context.with(trace.setSpan(parent, span), () => handler(req, res));
      });
      server.keepAliveTimeout = opts.keepAliveTimeout;
      server.requestTimeout = opts.requestTimeout;
      server.setTimeout(opts.connectionTimeout);
      if (opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
      return server;
    },
    shutdown: () =>
      (stopping ??= (async () => {
        try {
          // An exporter that never answers must not hold the process: give up after a while.
          let timer: NodeJS.Timeout | undefined;
          const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS)));
          await Promise.race([provider.shutdown().catch(() => undefined), giveUp]);
          clearTimeout(timer);
        } finally {
          trace.disable();
          context.disable();
          propagation.disable();
          active = false;
        }
      })()),
  };
}

/** Names a request's span after its route template once Fastify has matched it. */
export function nameRequestSpan(req: IncomingMessage, method: string, route: string | undefined): void {
  const span = requestSpans.get(req);
  if (!span || !route) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute(ATTR_HTTP_ROUTE, route);
}
