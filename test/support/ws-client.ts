import { ClientOptions, WebSocket } from 'ws';

/** A refused upgrade: the HTTP status and `{detail}` body the server answered with. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: any,
  ) {
    super(`upgrade refused with ${status}: ${JSON.stringify(body)}`);
  }
}

/**
 * A `/ws` test client over the `ws` library: keeps every event it receives, and waits for the
 * one a test expects.
 */
export class WsClient {
  readonly events: any[] = [];
  closed?: { code: number; reason: string };
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.events.push(JSON.parse(String(data)));
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  /** Opens `url` (http:// or ws://); rejects with UpgradeRefused when the server says no. */
  static connect(url: string, options: ClientOptions = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url.replace(/^http/, 'ws'), options);
      const client = new WsClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += String(c)));
        res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 0, text ? JSON.parse(text) : null)));
      });
      socket.once('error', (err) => reject(err));
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first event (after `from`) matching `pred`, waiting up to `ms`. */
  async next(pred: (e: any) => boolean, ms = 10_000, from = 0): Promise<any> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.events.slice(from).find(pred);
      if (found) return found;
      if (this.closed)
        throw new Error(`socket closed (${this.closed.code}) while waiting; got ${this.dump()}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for an event; got ${this.dump()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves when the socket has closed. */
  async whenClosed(ms = 10_000): Promise<{ code: number; reason: string }> {
    const end = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > end) throw new Error('socket still open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, end - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    if (this.socket.readyState <= WebSocket.OPEN) this.socket.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private dump(): string {
    return JSON.stringify(this.events.map((e) => `${e.type}:${e.message_type ?? e.code ?? ''}`));
  }
}
