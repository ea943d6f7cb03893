import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Provider traces (Letta's): the LLM request and response of a step, in the provider's wire
 * format, one per step, written in the step's own commit and gone with the step.
 */
export class ProviderTraces1796400000000 implements MigrationInterface {
  name = 'ProviderTraces1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE provider_traces (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        step_id text NOT NULL UNIQUE REFERENCES steps(id) ON DELETE CASCADE,
        run_id text,
        agent_id text NOT NULL,
        call_type text NOT NULL DEFAULT 'agent_step',
        request_json jsonb NOT NULL,
        response_json jsonb NOT NULL,
        created_by_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE provider_traces`);
  }
}
