/**
 * Size limits of what a request may carry, beyond the body limit (ENGRAM_BODY_LIMIT_MB, 413).
 * Each is documented in the README and named in the 422 that enforces it.
 */

/** Largest value of a Postgres `integer` column; integer fields that reach one are capped here. */
export const INT32_MAX = 2_147_483_647;

/** Characters of text one send (`messages` or `input`) may carry, all parts together. */
export const MAX_MESSAGE_CHARS = 2_000_000;

/** Total length of the strings in a JSON value (walked iteratively: depth is bounded upstream). */
export function textLength(value: unknown): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length;
    else if (Array.isArray(v)) for (const item of v) stack.push(item);
    else if (v !== null && typeof v === 'object') for (const item of Object.values(v)) stack.push(item);
  }
  return total;
}
