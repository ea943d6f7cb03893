import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';

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
 * `data: <json>\n\n`, and the stream ends with `data: [DONE]\n\n`. Takes the reply over from
 * Fastify (headers plugins set earlier — CORS, request id — are carried over). Waits for the
 * socket to drain when the client reads slowly, so nothing is buffered without bound; a client
 * that leaves stops the iteration.
 */
export async function writeSse(
  reply: FastifyReply,
  chunks: AsyncIterable<unknown>,
  opts: SseOptions = {},
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  const headers: Record<string, string | string[] | number> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string;
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.flushHeaders?.();
  const iterator = chunks[Symbol.asyncIterator]();
  let gone = false;
  const onClose = () => {
    if (raw.writableFinished) return;
    gone = true;
    opts.onClientGone?.();
    void iterator.return?.();
  };
  raw.on('close', onClose);
  const write = async (data: unknown) => {
    if (gone || raw.writableEnded) return;
    if (!raw.write(`data: ${JSON.stringify(data)}\n\n`))
      await new Promise<void>((resolve) => {
        raw.once('drain', resolve);
        raw.once('close', resolve);
      });
  };
  const ping = opts.pingMs
    ? setInterval(
        () =>
          void write({ message_type: 'ping', id: `ping-${randomUUID()}`, date: new Date().toISOString() }),
        opts.pingMs,
      )
    : undefined;
  ping?.unref();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done || gone) break;
      await write(next.value);
    }
  } catch (err) {
    await write({
      message_type: 'error_message',
      run_id: opts.runId ?? '',
      error_type: 'internal_error',
      message: (err as Error).message,
    });
  } finally {
    if (ping) clearInterval(ping);
    raw.off('close', onClose);
    if (!gone && !raw.writableEnded) raw.end('data: [DONE]\n\n');
  }
}
