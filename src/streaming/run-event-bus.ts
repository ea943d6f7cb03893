/** One event of a run's stream: `seq` is its 1-based position; `starting_after` cursors refer to it. */
export interface RunEvent {
  seq: number;
  data: Record<string, unknown>;
}

/**
 * The run event bus: the process executing a run publishes its events (each numbered by one
 * more than the last), and any process follows them — replay after a cursor, then live, until
 * the run's stream closes. Cancel requests travel on it too, to whichever process holds the run.
 * Drivers: in-process (`LocalRunEventBus`) and Redis (`RedisRunEventBus`: pub/sub for live
 * delivery, a Redis Stream per run for replay, kept for ENGRAM_RUN_EVENTS_TTL_MS).
 */
export abstract class RunEventBus {
  /** Called by the process that executes the run, before it publishes. */
  abstract open(runId: string): void;
  /** Numbers and delivers one event. Never waits on the network (the hot path of a send). */
  abstract publish(runId: string, data: Record<string, unknown>): void;
  /** Ends the run's stream: followers finish after the events published so far. */
  abstract close(runId: string): void;
  /** Events after `startingAfter`, then live ones, until the stream closes or `signal` aborts. */
  abstract follow(runId: string, startingAfter: number, signal?: AbortSignal): AsyncIterable<RunEvent>;
  /** Whether the run's stream is known (executing here, or its log is retained). */
  abstract hasLog(runId: string): Promise<boolean>;
  /**
   * For a run whose process died: appends `events` after the last one logged and closes the
   * stream, so followers end with the run's real outcome.
   */
  abstract closeLost(runId: string, events: Record<string, unknown>[]): Promise<void>;
  /** Asks the process executing the run to stop it now (wherever it is). */
  abstract requestCancel(runId: string): Promise<void>;
  /** Registers what this process does when a cancel request arrives. */
  abstract onCancel(handler: (runId: string) => void): void;
  /**
   * Tells every process that a run of this agent starts executing (after `open`), so a
   * WebSocket subscribed to the agent follows it wherever it runs.
   */
  abstract announce(agentId: string, runId: string): void;
  /** Calls `onRun` with the id of each run of the agent announced from now on; returns the unsubscribe. */
  abstract watchAgent(agentId: string, onRun: (runId: string) => void): Promise<() => void>;
}
