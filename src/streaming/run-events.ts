import { Injectable, OnModuleDestroy } from '@nestjs/common';

export interface RunEvent {
  /** 1-based position in the run's stream; `starting_after` cursors refer to it. */
  seq: number;
  data: unknown;
}

interface Channel {
  events: RunEvent[];
  done: boolean;
  listeners: Set<(e: RunEvent | null) => void>;
  expiry?: NodeJS.Timeout;
}

/**
 * Per-run event channels with a replay log, so `GET/POST /v1/runs/:id/stream` can replay what a
 * run emitted and follow it live. In-process: a run's events are only here in the process
 * executing it; for a finished run elsewhere the stream is rebuilt from stored messages.
 */
@Injectable()
export class RunEvents implements OnModuleDestroy {
  private readonly channels = new Map<string, Channel>();
  /** How long a finished run's log stays replayable from memory. */
  private readonly keepMs = 10 * 60_000;

  open(runId: string): void {
    if (!this.channels.has(runId))
      this.channels.set(runId, { events: [], done: false, listeners: new Set() });
  }

  has(runId: string): boolean {
    return this.channels.has(runId);
  }

  publish(runId: string, data: unknown): void {
    const ch = this.channels.get(runId);
    if (!ch || ch.done) return;
    const event = { seq: ch.events.length + 1, data };
    ch.events.push(event);
    for (const l of ch.listeners) l(event);
  }

  close(runId: string): void {
    const ch = this.channels.get(runId);
    if (!ch || ch.done) return;
    ch.done = true;
    for (const l of ch.listeners) l(null);
    ch.listeners.clear();
    ch.expiry = setTimeout(() => this.channels.delete(runId), this.keepMs);
    ch.expiry.unref();
  }

  /**
   * Replays events after `startingAfter`, then follows new ones; `onEnd` fires once the run's
   * stream is closed. Returns an unsubscribe function.
   */
  follow(
    runId: string,
    startingAfter: number,
    onEvent: (e: RunEvent) => void,
    onEnd: () => void,
  ): () => void {
    const ch = this.channels.get(runId);
    if (!ch) {
      onEnd();
      return () => undefined;
    }
    for (const e of ch.events) if (e.seq > startingAfter) onEvent(e);
    if (ch.done) {
      onEnd();
      return () => undefined;
    }
    const listener = (e: RunEvent | null) => (e ? onEvent(e) : onEnd());
    ch.listeners.add(listener);
    return () => ch.listeners.delete(listener);
  }

  onModuleDestroy(): void {
    for (const ch of this.channels.values()) if (ch.expiry) clearTimeout(ch.expiry);
    this.channels.clear();
  }
}
