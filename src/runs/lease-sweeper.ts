import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AgentsService } from '../agents/agents.service';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AgentLocks } from './agent-locks';
import { RunEventBus } from '../streaming/run-event-bus';
import { RunsRepository } from './runs.repository';

const LOST = 'The process running this run stopped before it finished (its lease was not renewed)';

/**
 * Fails runs whose process died, while the server lives. A process renews the leases of the
 * runs it executes every third of ENGRAM_RUN_LEASE_MS; every process (api and worker alike)
 * sweeps every ENGRAM_RUN_SWEEP_MS, at boot first, so a crashed run ends `failed` (stop reason
 * `error`, error type `process_lost`) within lease + sweep interval, whichever replica
 * survives. Its agent's Redis lock, if the dead run still holds it, is released at once so the
 * agent takes new messages without waiting for the lock to time out.
 */
@Injectable()
export class LeaseSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LeaseSweeper.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runs: RunsRepository,
    private readonly agents: AgentsService,
    private readonly locks: AgentLocks,
    private readonly events: RunEventBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.config.runs.sweepMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }

  /** One pass; never throws (a database outage is logged and the next pass tries again). */
  sweep(): Promise<void> {
    this.sweeping ??= this.failOrphaned().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async failOrphaned(): Promise<void> {
    try {
      const now = new Date();
      const orphans = await this.runs.failOrphaned(now);
      for (const run of orphans) {
        await this.locks.releaseIfHeldBy(run.agentId, run.id);
        // Followers of the run (any replica) end with its outcome instead of waiting forever.
        await this.events
          .closeLost(run.id, [
            { message_type: 'error_message', run_id: run.id, error_type: 'process_lost', message: LOST },
            { message_type: 'stop_reason', stop_reason: 'error' },
          ])
          .catch((err: Error) => this.logger.warn(`closing the stream of ${run.id}: ${err.message}`));
        await this.agents
          .recordRun({ organizationId: run.organizationId, userId: run.createdById ?? '' }, run.agentId, {
            completedAt: now,
            durationMs: now.getTime() - run.createdAt.getTime(),
            stopReason: 'error',
          })
          .catch(() => undefined); // the agent may be gone
      }
      if (orphans.length)
        this.logger.warn(
          `Marked ${orphans.length} orphaned run(s) failed (lease lapsed): ${orphans.map((r) => r.id).join(', ')}`,
        );
    } catch (err) {
      this.logger.warn(`Lease sweep failed: ${(err as Error).message}`);
    }
  }
}
