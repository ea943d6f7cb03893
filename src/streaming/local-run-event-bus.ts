import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Feed } from './feed';
import { LocalRunLog } from './local-run-log';
import { RunEvent, RunEventBus } from './run-event-bus';

/** The bus without Redis: one process executes and streams every run. */
@Injectable()
export class LocalRunEventBus extends RunEventBus implements OnModuleDestroy {
  private readonly log: LocalRunLog;
  private readonly cancelHandlers: ((runId: string) => void)[] = [];

  constructor(keepMs: number) {
    super();
    this.log = new LocalRunLog(keepMs);
  }

  open(runId: string): void {
    this.log.open(runId);
  }

  publish(runId: string, data: Record<string, unknown>): void {
    this.log.publish(runId, data);
  }

  close(runId: string): void {
    this.log.close(runId);
  }

  follow(runId: string, startingAfter: number, signal?: AbortSignal): AsyncIterable<RunEvent> {
    return followLocal(this.log, runId, startingAfter, signal);
  }

  hasLog(runId: string): Promise<boolean> {
    return Promise.resolve(this.log.owns(runId));
  }

  closeLost(runId: string, events: Record<string, unknown>[]): Promise<void> {
    if (!this.log.has(runId)) this.log.open(runId);
    for (const e of events) this.log.publish(runId, e);
    this.log.close(runId);
    return Promise.resolve();
  }

  requestCancel(runId: string): Promise<void> {
    for (const h of this.cancelHandlers) h(runId);
    return Promise.resolve();
  }

  onCancel(handler: (runId: string) => void): void {
    this.cancelHandlers.push(handler);
  }

  onModuleDestroy(): void {
    this.log.destroy();
  }
}

export function followLocal(
  log: LocalRunLog,
  runId: string,
  startingAfter: number,
  signal?: AbortSignal,
): AsyncIterable<RunEvent> {
  let unsubscribe = () => undefined as void;
  const feed = new Feed<RunEvent>(() => unsubscribe());
  unsubscribe = log.subscribe(
    runId,
    startingAfter,
    (e) => feed.push(e),
    () => feed.end(),
  );
  signal?.addEventListener('abort', () => feed.end(), { once: true });
  return feed;
}
