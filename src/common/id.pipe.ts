import { Injectable, PipeTransform } from '@nestjs/common';
import { IdPrefix, isId } from './ids';
import { InvalidInputError } from './errors';

/** Validates a path or body id of the given kind: `@Param('agent_id', new IdPipe('agent'))`. */
@Injectable()
export class IdPipe implements PipeTransform<unknown, string> {
  constructor(private readonly prefix: IdPrefix) {}

  transform(value: unknown): string {
    if (!isId(this.prefix, value)) {
      throw new InvalidInputError(
        `'${String(value)}' is not a valid ${this.prefix} id (expected '${this.prefix}-<uuid4>')`,
        'invalid_id',
      );
    }
    return value.toLowerCase();
  }
}
