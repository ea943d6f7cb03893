import { Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
} from '@opentelemetry/semantic-conventions';
import type { AfterQueryEvent, BeforeQueryEvent, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { failSpan, tracer } from './tracing';

/** Longest SQL text put on a span; parameters are never recorded (they can hold secrets). */
const MAX_QUERY_TEXT = 2_000;

/** A span for one SQL statement about to be sent: its operation and text, never its parameters. */
export function startSqlSpan(query: string): Span {
  const operation = /^\s*([A-Za-z]+)/.exec(query)?.[1]?.toUpperCase() ?? 'QUERY';
  return tracer().startSpan(`${operation} postgresql`, {
    kind: SpanKind.CLIENT,
    attributes: {
      [ATTR_DB_SYSTEM_NAME]: 'postgresql',
      [ATTR_DB_OPERATION_NAME]: operation,
      [ATTR_DB_QUERY_TEXT]: query.slice(0, MAX_QUERY_TEXT),
    },
  });
}

/** Ends a statement's span, failed when `error` is given. */
export function endSqlSpan(span: Span, error?: unknown): void {
  if (error === undefined) span.setStatus({ code: SpanStatusCode.OK });
  else failSpan(span, error);
  span.end();
}

/**
 * A span per SQL query TypeORM runs, from TypeORM's own before/after-query events: no patching
 * of the driver. A query runner runs one query at a time, so it keys the open span. Installed
 * on the DataSource only when tracing is on.
 */
export class SqlSpans implements EntitySubscriberInterface {
  private readonly open = new WeakMap<QueryRunner, Span>();

  beforeQuery(event: BeforeQueryEvent<unknown>): void {
    this.open.set(event.queryRunner, startSqlSpan(event.query));
  }

  afterQuery(event: AfterQueryEvent<unknown>): void {
    const span = this.open.get(event.queryRunner);
    if (!span) return;
    this.open.delete(event.queryRunner);
    endSqlSpan(span, event.success ? undefined : (event.error ?? 'query failed'));
  }
}
