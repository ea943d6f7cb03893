import { MigrationInterface, QueryRunner } from 'typeorm';

/** Runs (one request to an agent, sync or background) and their steps (one LLM call each). */
export class RunsAndSteps1795574000000 implements MigrationInterface {
  name = 'RunsAndSteps1795574000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE runs (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'created',
        stop_reason text,
        background boolean NOT NULL DEFAULT false,
        request_config jsonb,
        request jsonb,
        metadata jsonb,
        callback_url text,
        error jsonb,
        usage jsonb,
        ttft_ns bigint,
        total_duration_ns bigint,
        -- The process executing the run renews this; a run whose lease lapsed lost its process.
        lease_expires_at timestamptz,
        created_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await q.query(`CREATE INDEX runs_org_created_idx ON runs (organization_id, created_at, id)`);
    await q.query(`CREATE INDEX runs_agent_idx ON runs (agent_id, created_at)`);
    await q.query(`CREATE INDEX runs_active_idx ON runs (status) WHERE status IN ('created', 'running')`);
    await q.query(`
      CREATE TABLE steps (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        run_id text REFERENCES runs(id) ON DELETE CASCADE,
        step_index integer NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'success',
        stop_reason text,
        provider_name text,
        model text,
        model_handle text,
        model_endpoint text,
        context_window_limit integer,
        prompt_tokens integer NOT NULL DEFAULT 0,
        completion_tokens integer NOT NULL DEFAULT 0,
        total_tokens integer NOT NULL DEFAULT 0,
        cached_input_tokens integer,
        reasoning_tokens integer,
        feedback text,
        tags text[] NOT NULL DEFAULT '{}',
        error_type text,
        error_data jsonb,
        llm_duration_ms integer,
        step_duration_ms integer,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX steps_org_created_idx ON steps (organization_id, created_at, id)`);
    await q.query(`CREATE INDEX steps_run_idx ON steps (run_id, step_index)`);
    await q.query(`CREATE INDEX steps_agent_idx ON steps (agent_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS steps`);
    await q.query(`DROP TABLE IF EXISTS runs`);
  }
}
