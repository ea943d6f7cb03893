import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TenantRepository } from '../common/tenant.repository';
import { ProviderTraceEntity } from './provider-trace.entity';
import type { LlmProviderTrace } from '@engram/llm';
import { boundTrace } from './provider-trace';

export interface NewProviderTrace {
  id: string;
  stepId: string;
  runId: string | null;
  agentId: string;
  createdById: string | null;
  /** As the LLM client reported it: serialized and bounded when written. */
  trace: LlmProviderTrace;
}

/** Traces waiting to be written, past which new ones are dropped (the database is not keeping up). */
const MAX_PENDING = 1_000;
/** Traces per INSERT. */
const BATCH = 50;

/**
 * Provider traces are written just after their step's commit, off the reply's path, several per
 * statement when steps finish together (Letta writes them in the background too). A reader of
 * this process waits for the ones still queued here; a crash may lose the traces of its last
 * steps, never a step.
 */
@Injectable()
export class ProviderTracesRepository
  extends TenantRepository<ProviderTraceEntity>
  implements OnModuleDestroy
{
  private readonly logger = new Logger(ProviderTracesRepository.name);
  private pending: Array<{ organizationId: string; trace: NewProviderTrace; maxBytes: number }> = [];
  private writing: Promise<void> | null = null;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(ProviderTraceEntity));
  }

  /** Queues a step's trace (its step committed), kept within `maxBytes` (0: not kept). */
  write(organizationId: string, trace: NewProviderTrace, maxBytes: number): void {
    if (maxBytes <= 0) return;
    if (this.pending.length >= MAX_PENDING) {
      this.logger.warn(`provider trace of step ${trace.stepId} dropped: ${MAX_PENDING} still waiting`);
      return;
    }
    this.pending.push({ organizationId, trace, maxBytes });
    this.writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Resolves once every trace queued so far is written (or has failed, logged). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, BATCH);
        await this.insert(batch).catch((err: Error) =>
          this.logger.warn(`${batch.length} provider trace(s) not stored: ${err.message}`),
        );
      }
    } finally {
      this.writing = null;
    }
  }

  private async insert(
    batch: Array<{ organizationId: string; trace: NewProviderTrace; maxBytes: number }>,
  ): Promise<void> {
    const params: unknown[] = [];
    const rows = batch.map(({ organizationId, trace: t, maxBytes }) => {
      const n = params.length;
      const json = boundTrace(t.trace, maxBytes)!;
      params.push(
        t.id,
        organizationId,
        t.stepId,
        t.runId,
        t.agentId,
        t.createdById,
        json.request,
        json.response,
      );
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}::jsonb, $${n + 8}::jsonb)`;
    });
    await this.ds.query(
      `INSERT INTO provider_traces
         (id, organization_id, step_id, run_id, agent_id, created_by_id, request_json, response_json)
       VALUES ${rows.join(', ')}`,
      params,
    );
  }

  async findByStep(organizationId: string, stepId: string): Promise<ProviderTraceEntity | null> {
    await this.flush();
    return this.repo.findOneBy({ organizationId, stepId });
  }
}
