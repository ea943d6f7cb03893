import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { DomainError } from './errors';

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
    const [status, body] = this.describe(error, traceId);
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
    void reply.status(status).send(body);
  }

  private describe(error: unknown, traceId: string): [number, ErrorBody] {
    if (error instanceof DomainError) {
      return [error.status, { detail: error.message, code: error.code, trace_id: traceId }];
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
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
    // Fastify's own errors (bad JSON, body too large, unsupported media type) carry statusCode.
    const fastifyStatus = (error as { statusCode?: number })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return [
        fastifyStatus,
        { detail: (error as Error).message, code: codeForStatus(fastifyStatus), trace_id: traceId },
      ];
    }
    if (error instanceof QueryFailedError && (error as { code?: string }).code === '23505') {
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
