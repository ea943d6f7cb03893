import type { FastifyReply } from 'fastify';
import { writeStream } from './stream-writer';

export const NDJSON_TYPE = 'application/x-ndjson';

/**
 * Writes an async iterable of objects as newline-delimited JSON: one object per line (JSON
 * escapes every newline inside strings), nothing after the last. A failure of the iteration
 * itself is written as `failure(err)` before the end.
 */
export function writeNdjson(
  reply: FastifyReply,
  lines: AsyncIterable<unknown>,
  opts: { onClientGone?: () => void; failure: (err: Error) => unknown },
): Promise<void> {
  return writeStream(
    reply,
    lines,
    {
      contentType: `${NDJSON_TYPE}; charset=utf-8`,
      frame: (data) => `${JSON.stringify(data)}\n`,
      failure: opts.failure,
    },
    { onClientGone: opts.onClientGone },
  );
}
