import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { AgentEntity } from '../agents/agent.entity';
import { insertValuesSql, rowsOf, updateSetSql } from '../database/insert-sql';
import { camelRow } from '../database/prepared';
import { RunEntity, RunStatus, StepEntity } from './run.entity';

export interface RunFilter {
  agentIds?: string[];
  statuses?: string[];
  background?: boolean;
  active?: boolean;
  stopReason?: string;
  /** A conversation's runs; `null`: runs in the agent's own context (of no conversation). */
  conversationId?: string | null;
}

export interface StepFilter {
  agentId?: string;
  runId?: string;
  model?: string;
  feedback?: string;
  hasFeedback?: boolean;
}

export interface OrphanedRun {
  id: string;
  organizationId: string;
  agentId: string;
  createdById: string | null;
  createdAt: Date;
}

export const ACTIVE_STATUSES: RunStatus[] = ['created', 'running'];

@Injectable()
export class RunsRepository extends TenantRepository<RunEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(RunEntity));
  }

  private get steps() {
    return this.ds.getRepository(StepEntity);
  }

  /** One INSERT ... RETURNING (TypeORM's save would read the id first and wrap it in BEGIN/COMMIT). */
  async insert(run: Partial<RunEntity>): Promise<RunEntity> {
    const params: unknown[] = [];
    const sql = insertValuesSql(this.repo.metadata, [run as Record<string, unknown>], params, '*');
    const [row] = rowsOf(await this.ds.query(sql, params));
    return this.repo.create(camelRow(row) as Partial<RunEntity>);
  }

  /**
   * `finish` as one CTE part of another statement (the run's last step commit): moves the run
   * to its final status unless it already has one; RETURNING a row when it did. $1 must be the
   * organization id.
   */
  finishPart(id: string, patch: Partial<RunEntity>): (params: unknown[]) => string {
    return (params) => {
      const set = updateSetSql(this.repo.metadata, patch as Record<string, unknown>, params);
      params.push(id);
      return `UPDATE runs SET ${set} WHERE organization_id = $1 AND id = $${params.length}
        AND status IN ('created', 'running') RETURNING id`;
    };
  }

  /** `finish`, and the agent's last-run fields written in the same statement. */
  async finishWithAgent(
    organizationId: string,
    id: string,
    patch: Partial<RunEntity>,
    agentId: string,
    agentPatch: Partial<AgentEntity>,
  ): Promise<boolean> {
    const params: unknown[] = [organizationId];
    const fin = this.finishPart(id, patch)(params);
    const set = updateSetSql(this.ds.getMetadata(AgentEntity), agentPatch as Record<string, unknown>, params);
    params.push(agentId);
    const [row] = rowsOf(
      await this.ds.query(
        `WITH fin AS (${fin}),
           agent AS (UPDATE agents SET ${set} WHERE organization_id = $1 AND id = $${params.length})
         SELECT (SELECT count(*) FROM fin)::int AS n`,
        params,
      ),
    );
    return (row as { n: number }).n > 0;
  }

  async update(organizationId: string, id: string, patch: Partial<RunEntity>): Promise<void> {
    await this.repo.update({ organizationId, id }, patch as QueryDeepPartialEntity<RunEntity>);
  }

  /** Moves a run to a final status unless it already has one (a cancel may have won the race). */
  async finish(organizationId: string, id: string, patch: Partial<RunEntity>): Promise<boolean> {
    const r = await this.repo
      .createQueryBuilder()
      .update()
      .set(patch as QueryDeepPartialEntity<RunEntity>)
      .where('organization_id = :organizationId AND id = :id AND status IN (:...active)', {
        organizationId,
        id,
        active: ACTIVE_STATUSES,
      })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  async renewLease(ids: string[], until: Date): Promise<void> {
    if (ids.length)
      await this.repo.update({ id: In(ids), status: In(ACTIVE_STATUSES) }, { leaseExpiresAt: until });
  }

  /**
   * Runs whose process died: still active, lease lapsed. Marked failed (stop reason `error`,
   * error type `process_lost`); their committed messages stay. Atomic per row, so when several
   * processes sweep at once each orphan is returned to exactly one of them.
   */
  async failOrphaned(now: Date): Promise<OrphanedRun[]> {
    const result: unknown[] = await this.ds.query(
      `UPDATE runs SET status = 'failed', stop_reason = 'error', completed_at = $1, updated_at = $1,
         lease_expires_at = NULL,
         error = jsonb_build_object('type', 'process_lost', 'message',
           'The process running this run stopped before it finished (its lease was not renewed)')
       WHERE status IN ('created', 'running') AND (lease_expires_at IS NULL OR lease_expires_at < $1)
       RETURNING id, organization_id, agent_id, created_by_id, created_at`,
      [now],
    );
    const rows = (Array.isArray(result[0]) ? result[0] : result) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as string,
      organizationId: r.organization_id as string,
      agentId: r.agent_id as string,
      createdById: (r.created_by_id as string | null) ?? null,
      createdAt: new Date(r.created_at as string),
    }));
  }

  async activeForAgent(organizationId: string, agentId: string, runIds?: string[]): Promise<RunEntity[]> {
    return this.repo.find({
      where: {
        organizationId,
        agentId,
        status: In(ACTIVE_STATUSES),
        ...(runIds?.length ? { id: In(runIds) } : {}),
      },
    });
  }

  async status(organizationId: string, id: string): Promise<RunStatus | null> {
    const row = await this.repo.findOne({
      where: { organizationId, id },
      select: { id: true, status: true },
    });
    return row?.status ?? null;
  }

  list(organizationId: string, f: RunFilter, page: PageRequest): Promise<RunEntity[]> {
    const qb = this.scoped(organizationId, 'r');
    if (f.agentIds?.length) qb.andWhere('r.agent_id = ANY(:agentIds)', { agentIds: f.agentIds });
    if (f.statuses?.length) qb.andWhere('r.status = ANY(:statuses)', { statuses: f.statuses });
    if (f.active) qb.andWhere('r.status = ANY(:act)', { act: ACTIVE_STATUSES });
    if (f.background !== undefined) qb.andWhere('r.background = :bg', { bg: f.background });
    if (f.stopReason) qb.andWhere('r.stop_reason = :sr', { sr: f.stopReason });
    if (f.conversationId === null) qb.andWhere('r.conversation_id IS NULL');
    else if (f.conversationId) qb.andWhere('r.conversation_id = :convId', { convId: f.conversationId });
    return paginate(qb, 'r', page, 'Run');
  }

  findStep(organizationId: string, id: string): Promise<StepEntity | null> {
    return this.steps.findOneBy({ organizationId, id });
  }

  listSteps(organizationId: string, f: StepFilter, page: PageRequest): Promise<StepEntity[]> {
    const qb = this.steps
      .createQueryBuilder('s')
      .where('s.organization_id = :organizationId', { organizationId });
    if (f.agentId) qb.andWhere('s.agent_id = :agentId', { agentId: f.agentId });
    if (f.runId) qb.andWhere('s.run_id = :runId', { runId: f.runId });
    if (f.model) qb.andWhere('s.model = :model', { model: f.model });
    if (f.feedback) qb.andWhere('s.feedback = :fb', { fb: f.feedback });
    if (f.hasFeedback !== undefined)
      qb.andWhere(f.hasFeedback ? 's.feedback IS NOT NULL' : 's.feedback IS NULL');
    return paginate(qb, 's', page, 'Step');
  }

  async setFeedback(
    organizationId: string,
    id: string,
    feedback: string | null,
    tags?: string[],
  ): Promise<void> {
    await this.steps.update({ organizationId, id }, { feedback, ...(tags ? { tags } : {}) });
  }

  /** Token totals over a run's steps. */
  async usageOf(organizationId: string, runId: string) {
    const row = await this.steps
      .createQueryBuilder('s')
      .select('COALESCE(SUM(s.prompt_tokens), 0)', 'prompt')
      .addSelect('COALESCE(SUM(s.completion_tokens), 0)', 'completion')
      .addSelect('COALESCE(SUM(s.total_tokens), 0)', 'total')
      .addSelect('COALESCE(SUM(s.cached_input_tokens), 0)', 'cached')
      .addSelect('COALESCE(SUM(s.reasoning_tokens), 0)', 'reasoning')
      .addSelect('COUNT(*)', 'steps')
      .where('s.organization_id = :organizationId AND s.run_id = :runId', { organizationId, runId })
      .getRawOne<Record<string, string>>();
    return {
      promptTokens: Number(row?.prompt ?? 0),
      completionTokens: Number(row?.completion ?? 0),
      totalTokens: Number(row?.total ?? 0),
      cachedTokens: Number(row?.cached ?? 0),
      reasoningTokens: Number(row?.reasoning ?? 0),
      stepCount: Number(row?.steps ?? 0),
    };
  }
}
