import type { RunEvent } from './run-event-bus';

interface Channel {
  events: RunEvent[];
  done: boolean;
  /** Opened by the process executing the run (not only by a follower waiting for it). */
  owned: boolean;
  listeners: Set<(e: RunEvent | null) => void>;
  expiry?: NodeJS.Timeout;
}

/** Runs' event logs in this process's memory: what executes here is delivered from here. */
export class LocalRunLog {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly keepMs: number) {}

  private channel(runId: string): Channel {
    let ch = this.channels.get(runId);
    if (!ch) {
      ch = { events: [], done: false, owned: false, listeners: new Set() };
      this.channels.set(runId, ch);
    }
    return ch;
  }

  open(runId: string): void {
    this.channel(runId).owned = true;
  }

  owns(runId: string): boolean {
    return this.channels.get(runId)?.owned ?? false;
  }

  has(runId: string): boolean {
    return this.channels.has(runId);
  }

  lastSeq(runId: string): number {
    return this.channels.get(runId)?.events.length ?? 0;
  }

  publish(runId: string, data: Record<string, unknown>): RunEvent | undefined {
    const ch = this.channels.get(runId);
    if (!ch || ch.done) return undefined;
    const event = { seq: ch.events.length + 1, data };
    ch.events.push(event);
    for (const l of ch.listeners) l(event);
    return event;
  }

  /** Ends the stream; false when it was not open or already closed. */
  close(runId: string): boolean {
    const ch = this.channels.get(runId);
    if (!ch || ch.done) return false;
    ch.done = true;
    for (const l of ch.listeners) l(null);
    ch.listeners.clear();
    ch.expiry = setTimeout(() => this.channels.delete(runId), this.keepMs);
    ch.expiry.unref();
    return true;
  }

  /** Replays after `startingAfter` and follows; creates the channel when the run has not started yet. */
  subscribe(
    runId: string,
    startingAfter: number,
    onEvent: (e: RunEvent) => void,
    onEnd: () => void,
  ): () => void {
    const ch = this.channel(runId);
    for (const e of ch.events) if (e.seq > startingAfter) onEvent(e);
    if (ch.done) {
      onEnd();
      return () => undefined;
    }
    const listener = (e: RunEvent | null) => (e ? onEvent(e) : onEnd());
    ch.listeners.add(listener);
    return () => {
      ch.listeners.delete(listener);
      // A follower's placeholder for a run that never started here goes with its last follower.
      if (!ch.owned && !ch.done && !ch.events.length && !ch.listeners.size) this.channels.delete(runId);
    };
  }

  destroy(): void {
    for (const ch of this.channels.values()) if (ch.expiry) clearTimeout(ch.expiry);
    this.channels.clear();
  }
}
