import type { FastifyReply } from 'fastify';

/** How one kind of stream is put on the wire. */
export interface StreamFraming {
  contentType: string;
  /** One chunk as written. */
  frame(data: unknown): string;
  /** Written last, when the stream ends while the client is still there (SSE's `[DONE]`). */
  end?: string;
  /** The chunk that reports a failure of the iteration itself. */
  failure(err: Error): unknown;
  /** A keep-alive chunk, sent every `pingMs` while the stream is quiet. */
  ping?: () => unknown;
}

export interface StreamOptions {
  pingMs?: number;
  /** Runs once when the client goes away before the stream ended. */
  onClientGone?: () => void;
}

/**
 * Writes an async iterable of chunks in the given framing, taking the reply over from Fastify
 * (headers plugins set earlier — CORS, request id — are carried over). Waits for the socket to
 * drain when the client reads slowly, so nothing is buffered without bound; a client that
 * leaves stops the iteration.
 */
export async function writeStream(
  reply: FastifyReply,
  chunks: AsyncIterable<unknown>,
  framing: StreamFraming,
  opts: StreamOptions = {},
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  const headers: Record<string, string | string[] | number> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string;
  raw.writeHead(200, {
    ...headers,
    'content-type': framing.contentType,
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
    if (!raw.write(framing.frame(data)))
      await new Promise<void>((resolve) => {
        raw.once('drain', resolve);
        raw.once('close', resolve);
      });
  };
  const ping =
    opts.pingMs && framing.ping ? setInterval(() => void write(framing.ping!()), opts.pingMs) : undefined;
  ping?.unref();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done || gone) break;
      await write(next.value);
    }
  } catch (err) {
    await write(framing.failure(err as Error));
  } finally {
    if (ping) clearInterval(ping);
    raw.off('close', onClose);
    if (!gone && !raw.writableEnded) raw.end(framing.end);
  }
}
