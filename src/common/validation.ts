import { ValidationError, ValidationPipe } from '@nestjs/common';
import { InvalidInputError } from './errors';

/** Flattens class-validator's tree into "field.sub: problem" strings. */
function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((msg) =>
      msg.startsWith(e.property) || msg.startsWith('property ') ? `${path}: ${msg}` : `${path}: ${msg}`,
    );
    return [...own, ...describe(e.children ?? [], path)];
  });
}

/** Registered as APP_PIPE so every app (tests included) validates the same way. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => new InvalidInputError(`Invalid request: ${describe(errors).join('; ')}`),
  });
}
