import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { writeStream } from './stream-writer';

export interface SseOptions {
  /** Sends Letta's `ping` (with `id` and `date`) this often while the stream is quiet. */
  pingMs?: number;
  /** Runs once when the client goes away before the stream ended. */
  onClientGone?: () => void;
  /** The run streamed, named by the error chunk a failure ends the stream with. */
  runId?: string;
}

/**
 * Writes an async iterable of chunks as Server-Sent Events in Letta's framing: each chunk is
 * `data: <json>\n\n`, and the stream ends with `data: [DONE]\n\n` (see writeStream for the
 * rest: backpressure, a client that leaves).
 */
export function writeSse(
  reply: FastifyReply,
  chunks: AsyncIterable<unknown>,
  opts: SseOptions = {},
): Promise<void> {
  return writeStream(
    reply,
    chunks,
    {
      contentType: 'text/event-stream; charset=utf-8',
      frame: (data) => `data: ${JSON.stringify(data)}\n\n`,
      end: 'data: [DONE]\n\n',
      failure: (err) => ({
        message_type: 'error_message',
        run_id: opts.runId ?? '',
        error_type: 'internal_error',
        message: err.message,
      }),
      ping: () => ({ message_type: 'ping', id: `ping-${randomUUID()}`, date: new Date().toISOString() }),
    },
    opts,
  );
}
