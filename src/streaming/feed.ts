/**
 * A push-to-pull adapter: producers `push` and `end`, one consumer iterates. `onReturn` runs
 * when the consumer stops early (the client went away), so producers can unsubscribe.
 */
export class Feed<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake?: () => void;
  private ended = false;
  private failure?: Error;

  constructor(private readonly onReturn: () => void = () => undefined) {}

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.wake?.();
  }

  end(err?: Error): void {
    this.ended = true;
    this.failure = err;
    this.wake?.();
  }

  get size(): number {
    return this.items.length;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        while (this.items.length) yield this.items.shift()!;
        if (this.ended) {
          if (this.failure) throw this.failure;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      this.onReturn();
    }
  }
}
