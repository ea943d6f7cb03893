import type { LlmProviderTrace } from '@engram/llm';

/** A provider trace as the JSON text it is stored as, within a byte bound. */
export interface BoundedTrace {
  request: string;
  response: string;
  /** Whether anything was cut to fit. */
  truncated: boolean;
}

/** Strings are never cut below this many characters; past it, a part is replaced by a stub. */
const MIN_STRING_CHARS = 64;

/**
 * The trace serialized within `maxBytes` (request and response together, UTF-8). A trace that
 * fits is stored as it is. One that does not keeps its structure: every string longer than a
 * limit is cut to it, ending in `…[N more characters]`, the limit shrinking until the whole fits.
 * When even 64-character strings do not fit (a huge number of messages), the request, then the
 * response, is replaced by `{"_truncated": true, "original_bytes": N}`. Null when `maxBytes` is 0
 * (traces are not kept).
 */
export function boundTrace(trace: LlmProviderTrace, maxBytes: number): BoundedTrace | null {
  if (maxBytes <= 0) return null;
  const request = trace.requestJson ?? JSON.stringify(trace.request);
  const response = JSON.stringify(trace.response);
  const fits = (a: string, b: string) => Buffer.byteLength(a) + Buffer.byteLength(b) <= maxBytes;
  if (fits(request, response)) return { request, response, truncated: false };
  for (let limit = Math.floor(maxBytes / 4); limit >= MIN_STRING_CHARS; limit = Math.floor(limit / 4)) {
    const req = JSON.stringify(cutStrings(trace.request, limit));
    const res = JSON.stringify(cutStrings(trace.response, limit));
    if (fits(req, res)) return { request: req, response: res, truncated: true };
  }
  const stub = (text: string) =>
    JSON.stringify({ _truncated: true, original_bytes: Buffer.byteLength(text) });
  const res = JSON.stringify(cutStrings(trace.response, MIN_STRING_CHARS));
  if (fits(stub(request), res)) return { request: stub(request), response: res, truncated: true };
  return { request: stub(request), response: stub(response), truncated: true };
}

/** A copy of `value` with every string longer than `limit` characters cut to it. */
function cutStrings(value: unknown, limit: number): unknown {
  if (typeof value === 'string') {
    if (value.length <= limit) return value;
    // Never end on half of a surrogate pair (jsonb refuses a lone one).
    const end = /[\uD800-\uDBFF]/.test(value[limit - 1]) ? limit - 1 : limit;
    return `${value.slice(0, end)}…[${value.length - end} more characters]`;
  }
  if (Array.isArray(value)) return value.map((v) => cutStrings(v, limit));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cutStrings(v, limit);
    return out;
  }
  return value;
}
