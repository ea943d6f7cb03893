import { Injectable } from '@nestjs/common';
import type { AuthPrincipal } from '../common/auth/principal';

/** A run's chunks as the SSE routes write them: Letta messages, stop reason and usage, each with `seq_id`. */
export type RunChunk = Record<string, unknown> & { seq_id: number };

export interface StartedRun {
  runId: string;
  chunks: AsyncIterable<RunChunk>;
  /** The client went away: the run is cancelled, as a foreground SSE stream's is. */
  abandon(): void;
}

/**
 * What the WebSocket gateway needs from run execution, tenant-scoped like the REST routes (an
 * agent or run of another organization is a NotFoundError). The runs module implements it and
 * binds it into `RunSources` at start-up, so the streaming module imports nothing from runs.
 */
export abstract class RunSource {
  /** Sends `text` as a user message to the agent, executing in this process (a foreground stream). */
  abstract send(p: AuthPrincipal, agentId: string, text: string): Promise<StartedRun>;
  /**
   * The run's chunks after `startingAfter`, replayed then live, until it ends or `signal`
   * aborts. `authorize` sees the run's agent first (and throws to refuse).
   */
  abstract follow(
    p: AuthPrincipal,
    runId: string,
    startingAfter: number,
    authorize?: (agentId: string) => void,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<RunChunk>>;
  /** The ids of the agent's runs still executing, oldest first (NotFoundError for an unknown agent). */
  abstract activeRuns(p: AuthPrincipal, agentId: string): Promise<string[]>;
}

/** Where the runs module leaves its `RunSource` for the gateway. */
@Injectable()
export class RunSources {
  private source?: RunSource;

  bind(source: RunSource): void {
    this.source = source;
  }

  get(): RunSource {
    if (!this.source) throw new Error('No RunSource bound: the runs module is not loaded');
    return this.source;
  }
}
