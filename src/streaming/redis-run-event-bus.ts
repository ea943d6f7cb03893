import { Logger, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedis } from '../common/redis';
import { Feed } from './feed';
import { AgentWatchers, followLocal } from './local-run-event-bus';
import { LocalRunLog } from './local-run-log';
import { RunEvent, RunEventBus } from './run-event-bus';

/** A run's entry on the wire: an event, or the end of its stream. */
type Entry = RunEvent | { end: true; seq: number };

/**
 * The bus on Redis. The executing process numbers and delivers its events locally at once
 * (a send in the api never waits on Redis per chunk) and mirrors them, batched once per tick in
 * one pipeline, to a Redis Stream per run (entry id `<seq>-0`, end marker `<last>-1`, expiring
 * after the retention TTL) and a pub/sub channel per run. A follower elsewhere subscribes
 * first, then reads the stream after its cursor, then takes live messages, skipping what it has
 * seen, so a resume on any replica has no gap and no duplicate.
 */
export class RedisRunEventBus extends RunEventBus implements OnModuleDestroy {
  private readonly logger = new Logger(RedisRunEventBus.name);
  private readonly local: LocalRunLog;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<(entries: Entry[]) => void>>();
  private readonly pending = new Map<string, Entry[]>();
  private flushing?: Promise<void>;
  private flushScheduled = false;
  private readonly cancelHandlers: ((runId: string) => void)[] = [];
  private readonly controlChannel: string;
  private readonly watchers = new AgentWatchers();
  /** Each watched agent's channel subscription (a second watcher waits for the first's). */
  private readonly agentSubscriptions = new Map<string, Promise<unknown>>();

  constructor(
    redisUrl: string,
    private readonly prefix: string,
    private readonly retentionMs: number,
  ) {
    super();
    this.local = new LocalRunLog(Math.min(retentionMs, 10 * 60_000));
    this.commands = createRedis(redisUrl, 'run events', { maxRetriesPerRequest: 3 });
    this.subscriber = createRedis(redisUrl, 'run events (subscriber)', { maxRetriesPerRequest: null });
    this.controlChannel = `${prefix}:run-control`;
    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    this.watchers.onLast = (agentId) => {
      this.agentSubscriptions.delete(agentId);
      void this.subscriber.unsubscribe(this.agentChannel(agentId)).catch(() => undefined);
    };
    void this.subscriber
      .subscribe(this.controlChannel)
      .catch((err: Error) => this.logger.warn(`cancel channel: ${err.message}`));
  }

  private streamKey(runId: string): string {
    return `${this.prefix}:run-events:${runId}`;
  }

  private channelOf(runId: string): string {
    return `${this.prefix}:run-live:${runId}`;
  }

  private agentChannel(agentId: string): string {
    return `${this.prefix}:agent-runs:${agentId}`;
  }

  open(runId: string): void {
    this.local.open(runId);
  }

  publish(runId: string, data: Record<string, unknown>): void {
    const event = this.local.publish(runId, data);
    if (event) this.mirror(runId, event);
  }

  close(runId: string): void {
    const seq = this.local.lastSeq(runId);
    if (this.local.close(runId)) this.mirror(runId, { end: true, seq });
  }

  follow(runId: string, startingAfter: number, signal?: AbortSignal): AsyncIterable<RunEvent> {
    if (this.local.owns(runId)) return followLocal(this.local, runId, startingAfter, signal);
    return this.followRemote(runId, startingAfter, signal);
  }

  async hasLog(runId: string): Promise<boolean> {
    if (this.local.owns(runId)) return true;
    return (await this.commands.exists(this.streamKey(runId))) === 1;
  }

  async closeLost(runId: string, events: Record<string, unknown>[]): Promise<void> {
    await this.flushing;
    const key = this.streamKey(runId);
    const [last] = (await this.commands.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    if (last && last[1][0] === 'end') return;
    let seq = last ? Number(last[0].split('-')[0]) : 0;
    const entries: Entry[] = events.map((data) => ({ seq: ++seq, data }));
    entries.push({ end: true, seq });
    await this.write(new Map([[runId, entries]]));
  }

  async requestCancel(runId: string): Promise<void> {
    await this.commands.publish(this.controlChannel, runId);
  }

  onCancel(handler: (runId: string) => void): void {
    this.cancelHandlers.push(handler);
  }

  announce(agentId: string, runId: string): void {
    void this.commands
      .publish(this.agentChannel(agentId), runId)
      .catch((err: Error) => this.logger.warn(`announcing run ${runId}: ${err.message}`));
  }

  async watchAgent(agentId: string, onRun: (runId: string) => void): Promise<() => void> {
    const { first, unsubscribe } = this.watchers.add(agentId, onRun);
    if (first) this.agentSubscriptions.set(agentId, this.subscriber.subscribe(this.agentChannel(agentId)));
    try {
      await this.agentSubscriptions.get(agentId);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
    this.local.destroy();
    this.subscriber.disconnect();
    this.commands.disconnect();
  }

  /** Queues an entry for the next pipeline; one flush per tick carries every run's entries. */
  private mirror(runId: string, entry: Entry): void {
    const list = this.pending.get(runId);
    if (list) list.push(entry);
    else this.pending.set(runId, [entry]);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    // One pipeline at a time keeps the entries of a run in order on the server.
    while (this.flushing) await this.flushing;
    if (!this.pending.size) return;
    const batch = new Map(this.pending);
    this.pending.clear();
    this.flushing = this.write(batch)
      .catch((err: Error) => this.logger.warn(`mirroring run events to Redis failed: ${err.message}`))
      .finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async write(batch: Map<string, Entry[]>): Promise<void> {
    const pipe = this.commands.pipeline();
    for (const [runId, entries] of batch) {
      const key = this.streamKey(runId);
      for (const e of entries) {
        if ('end' in e) pipe.xadd(key, `${e.seq}-1`, 'end', '1');
        else pipe.xadd(key, `${e.seq}-0`, 'd', JSON.stringify(e.data));
      }
      pipe.pexpire(key, this.retentionMs);
      pipe.publish(this.channelOf(runId), JSON.stringify(entries));
    }
    const results = (await pipe.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0] as Error;
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.controlChannel) {
      for (const h of this.cancelHandlers) h(message);
      return;
    }
    if (channel.startsWith(`${this.prefix}:agent-runs:`)) {
      this.watchers.notify(channel.slice(`${this.prefix}:agent-runs:`.length), message);
      return;
    }
    const runId = channel.slice(`${this.prefix}:run-live:`.length);
    const set = this.listeners.get(runId);
    if (!set) return;
    let entries: Entry[];
    try {
      entries = JSON.parse(message) as Entry[];
    } catch {
      return;
    }
    for (const l of set) l(entries);
  }

  private async read(runId: string, after: number, upTo?: number): Promise<Entry[]> {
    const rows = (await this.commands.xrange(
      this.streamKey(runId),
      `${after + 1}-0`,
      upTo === undefined ? '+' : `${upTo}-1`,
    )) as [string, string[]][];
    return rows.map(([id, fields]) => {
      const seq = Number(id.split('-')[0]);
      return fields[0] === 'end'
        ? { end: true as const, seq }
        : { seq, data: JSON.parse(fields[1]) as Record<string, unknown> };
    });
  }

  private async subscribe(runId: string, listener: (entries: Entry[]) => void): Promise<() => void> {
    let set = this.listeners.get(runId);
    if (!set) {
      set = new Set();
      this.listeners.set(runId, set);
      await this.subscriber.subscribe(this.channelOf(runId));
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(runId) === set) {
        this.listeners.delete(runId);
        void this.subscriber.unsubscribe(this.channelOf(runId)).catch(() => undefined);
      }
    };
  }

  private async *followRemote(runId: string, startingAfter: number, signal?: AbortSignal) {
    const live = new Feed<Entry[]>();
    const unsubscribe = await this.subscribe(runId, (entries) => live.push(entries));
    const stop = () => live.end();
    signal?.addEventListener('abort', stop, { once: true });
    let last = startingAfter;
    try {
      for (const e of await this.read(runId, last)) {
        if ('end' in e) return;
        if (e.seq <= last) continue;
        last = e.seq;
        yield e;
      }
      for await (const entries of live) {
        for (const e of entries) {
          if (e.seq <= last && !('end' in e)) continue;
          if (e.seq > last + 1 || ('end' in e && e.seq > last)) {
            // Missed live messages (a reconnect): fill the gap from the stream.
            for (const f of await this.read(runId, last, 'end' in e ? e.seq : e.seq - 1)) {
              if ('end' in f) return;
              if (f.seq <= last) continue;
              last = f.seq;
              yield f;
            }
          }
          if ('end' in e) return;
          if (e.seq <= last) continue;
          last = e.seq;
          yield e;
        }
      }
    } finally {
      signal?.removeEventListener('abort', stop);
      unsubscribe();
    }
  }
}
