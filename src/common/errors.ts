import { HttpStatus } from '@nestjs/common';

/**
 * Domain errors carry an HTTP status and a stable string code; the global filter turns them
 * into Letta's `{ detail, code, trace_id }` body. Services throw these, never HttpException.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(kind: string, id: string) {
    super(HttpStatus.NOT_FOUND, 'not_found', `${kind} '${id}' not found`);
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, code = 'invalid_input') {
    super(HttpStatus.UNPROCESSABLE_ENTITY, code, message);
  }
}

export class BadRequestError extends DomainError {
  constructor(message: string, code = 'bad_request') {
    super(HttpStatus.BAD_REQUEST, code, message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, code = 'conflict') {
    super(HttpStatus.CONFLICT, code, message);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'Missing or invalid credentials') {
    super(HttpStatus.UNAUTHORIZED, 'unauthorized', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, code = 'forbidden') {
    super(HttpStatus.FORBIDDEN, code, message);
  }
}
