import type { FastifyReply } from 'fastify';

export interface SseWriter {
  /** Writes one `data: <json>` event; false once the client has gone. */
  send(data: unknown): boolean;
  /** Writes `data: [DONE]` and ends the response. */
  end(): void;
  readonly closed: boolean;
  onClose(fn: () => void): void;
}

/**
 * Takes over a Fastify reply for Server-Sent Events in Letta's framing: each event is
 * `data: <json>\n\n`, and the stream ends with `data: [DONE]\n\n`. Headers Fastify plugins set
 * earlier (CORS, request id) are carried over since the reply bypasses Fastify from here on.
 */
export function openSse(reply: FastifyReply, opts: { pingMs?: number } = {}): SseWriter {
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
  let closed = false;
  const closeListeners: (() => void)[] = [];
  const markClosed = () => {
    if (closed) return;
    closed = true;
    if (ping) clearInterval(ping);
    for (const fn of closeListeners) fn();
  };
  raw.on('close', markClosed);
  const send = (data: unknown): boolean => {
    if (closed || raw.writableEnded) return false;
    raw.write(`data: ${JSON.stringify(data)}\n\n`);
    return true;
  };
  const ping = opts.pingMs ? setInterval(() => send({ message_type: 'ping' }), opts.pingMs) : undefined;
  ping?.unref();
  return {
    send,
    end() {
      if (!closed && !raw.writableEnded) raw.end('data: [DONE]\n\n');
      if (ping) clearInterval(ping);
    },
    get closed() {
      return closed;
    },
    onClose(fn) {
      closeListeners.push(fn);
    },
  };
}
