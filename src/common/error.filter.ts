import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { DomainError } from './errors';
import { drainRequest } from './http-edge';

interface ErrorBody {
  detail: unknown;
  code?: string;
  trace_id: string;
}

/**
 * The one place errors become HTTP responses, in Letta's shape `{ detail }` plus our `code`
 * and `trace_id` (the request id, also in the logs). Unknown errors never leak internals.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const traceId = String(request?.id ?? '');
    const [status, body] = this.describe(error, traceId, request);
    if (status >= 500) {
      this.logger.error({ err: error, trace_id: traceId }, 'request failed');
    }
    if (!reply || typeof reply.status !== 'function' || reply.sent) return;
    // RFC 6750: a 401 names the scheme the client should use.
    if (status === HttpStatus.UNAUTHORIZED) void reply.header('WWW-Authenticate', 'Bearer');
    if (status === HttpStatus.TOO_MANY_REQUESTS && error instanceof HttpException) {
      const retry = (error.getResponse() as { retryAfter?: number })?.retryAfter;
      if (retry) void reply.header('Retry-After', String(retry));
    }
    if (status === HttpStatus.PAYLOAD_TOO_LARGE && request?.raw) {
      // A client that sends its whole body before reading would see a reset, not the 413.
      const limit = bodyLimit(request);
      void drainRequest(request.raw, Math.max(limit * 4, 64 * 1024 * 1024)).then(() => {
        if (!reply.sent) void reply.status(status).send(body);
      });
      return;
    }
    void reply.status(status).send(body);
  }

  private describe(error: unknown, traceId: string, request?: FastifyRequest): [number, ErrorBody] {
    if (error instanceof DomainError) {
      return [error.status, { detail: error.message, code: error.code, trace_id: traceId }];
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      if (status === HttpStatus.PAYLOAD_TOO_LARGE && request) {
        // Fastify's body limit (Nest wraps Fastify's errors in HttpException).
        const mb = Number((bodyLimit(request) / (1024 * 1024)).toFixed(2));
        const detail = `Request body is larger than the limit of ${mb} MB (ENGRAM_BODY_LIMIT_MB)`;
        return [status, { detail, code: codeForStatus(status), trace_id: traceId }];
      }
      const response = error.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : ((response as { message?: unknown; detail?: unknown }).detail ??
            (response as { message?: unknown }).message ??
            error.message);
      const detail = Array.isArray(message) ? message.join('; ') : message;
      return [status, { detail, code: codeForStatus(status), trace_id: traceId }];
    }
    // Fastify's own errors (bad JSON, unsupported media type) carry statusCode.
    const fastifyStatus = (error as { statusCode?: number })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return [
        fastifyStatus,
        { detail: (error as Error).message, code: codeForStatus(fastifyStatus), trace_id: traceId },
      ];
    }
    const pgCode = error instanceof QueryFailedError ? (error as { code?: string }).code : undefined;
    if (pgCode?.startsWith('22')) {
      // A data exception (a value Postgres cannot store: out of range, bad encoding...) is
      // caused by the request; validation should have caught it, so it is logged as a gap.
      this.logger.warn({ err: error, trace_id: traceId }, 'a value reached the database unvalidated');
      const reason = String((error as Error).message).slice(0, 200);
      return [
        HttpStatus.UNPROCESSABLE_ENTITY,
        {
          detail: `Invalid request: a value cannot be stored (${reason})`,
          code: 'invalid_input',
          trace_id: traceId,
        },
      ];
    }
    if (pgCode === '23503') return foreignKeyViolation(error as QueryFailedError, traceId);
    if (pgCode === '23505') {
      return [
        HttpStatus.CONFLICT,
        { detail: 'A record with these values already exists', code: 'conflict', trace_id: traceId },
      ];
    }
    return [
      HttpStatus.INTERNAL_SERVER_ERROR,
      { detail: 'Internal server error', code: 'internal_error', trace_id: traceId },
    ];
  }
}

/**
 * Every route checks the rows a request names before it writes, so a foreign key violation
 * means one of them went away meanwhile (another request deleted it): an insert that
 * references it answers 404, and a delete that something still references answers 409.
 */
function foreignKeyViolation(error: QueryFailedError, traceId: string): [number, ErrorBody] {
  const pgDetail = String((error.driverError as { detail?: string })?.detail ?? '');
  const missing = /^Key \((.+)\)=\((.+)\) is not present in table "(.+)"/.exec(pgDetail);
  if (missing) {
    const [, column, value, table] = missing;
    const detail = `Not found: the ${table} row with ${column} '${value}' (deleted while this request ran)`;
    return [HttpStatus.NOT_FOUND, { detail, code: 'not_found', trace_id: traceId }];
  }
  const detail = 'Conflict: the record is still referenced by another one';
  return [HttpStatus.CONFLICT, { detail, code: 'conflict', trace_id: traceId }];
}

function bodyLimit(request: FastifyRequest): number {
  return request.routeOptions?.bodyLimit ?? request.server?.initialConfig.bodyLimit ?? 1024 * 1024;
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 422:
      return 'invalid_input';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'internal_error' : 'error';
  }
}
