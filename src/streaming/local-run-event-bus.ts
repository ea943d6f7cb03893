import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Feed } from './feed';
import { LocalRunLog } from './local-run-log';
import { RunEvent, RunEventBus } from './run-event-bus';

/** The bus without Redis: one process executes and streams every run. */
@Injectable()
export class LocalRunEventBus extends RunEventBus implements OnModuleDestroy {
  private readonly log: LocalRunLog;
  private readonly cancelHandlers: ((runId: string) => void)[] = [];
  private readonly watchers = new AgentWatchers();

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

  announce(agentId: string, runId: string): void {
    this.watchers.notify(agentId, runId);
  }

  watchAgent(agentId: string, onRun: (runId: string) => void): Promise<() => void> {
    return Promise.resolve(this.watchers.add(agentId, onRun).unsubscribe);
  }

  onModuleDestroy(): void {
    this.log.destroy();
  }
}

/** Who watches which agent's runs in this process. */
export class AgentWatchers {
  private readonly byAgent = new Map<string, Set<(runId: string) => void>>();

  /** Adds a watcher; `first` says whether it is the agent's first here (time to subscribe). */
  add(agentId: string, onRun: (runId: string) => void): { first: boolean; unsubscribe: () => void } {
    let set = this.byAgent.get(agentId);
    const first = !set;
    if (!set) this.byAgent.set(agentId, (set = new Set()));
    set.add(onRun);
    return {
      first,
      unsubscribe: () => {
        set.delete(onRun);
        if (set.size === 0 && this.byAgent.get(agentId) === set) {
          this.byAgent.delete(agentId);
          this.onLast?.(agentId);
        }
      },
    };
  }

  /** Runs when an agent's last watcher here leaves (time to unsubscribe). */
  onLast?: (agentId: string) => void;

  notify(agentId: string, runId: string): void {
    for (const w of this.byAgent.get(agentId) ?? []) w(runId);
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
