import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TenantRepository } from '../common/tenant.repository';
import { ProviderTraceEntity } from './provider-trace.entity';
import type { BoundedTrace } from './provider-trace';

export interface NewProviderTrace {
  id: string;
  stepId: string;
  runId: string | null;
  agentId: string;
  createdById: string | null;
  trace: BoundedTrace;
}

@Injectable()
export class ProviderTracesRepository extends TenantRepository<ProviderTraceEntity> {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds.getRepository(ProviderTraceEntity));
  }

  /**
   * The INSERT of one trace as a CTE part of the step's commit (`StepExtras.also`): the trace
   * rides the step's statement, with no round trip of its own. $1 must be the organization id;
   * the JSON is sent as the text `boundTrace` made (serialized once).
   */
  insertPart(t: NewProviderTrace): (params: unknown[]) => string {
    return (params) => {
      const n = params.length;
      params.push(t.id, t.stepId, t.runId, t.agentId, t.createdById, t.trace.request, t.trace.response);
      return `INSERT INTO provider_traces
          (id, organization_id, step_id, run_id, agent_id, created_by_id, request_json, response_json)
        VALUES ($${n + 1}, $1, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}::jsonb, $${n + 7}::jsonb)`;
    };
  }

  findByStep(organizationId: string, stepId: string): Promise<ProviderTraceEntity | null> {
    return this.repo.findOneBy({ organizationId, stepId });
  }
}
