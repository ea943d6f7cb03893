import { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-agent tool secrets (Letta's `secrets` / `tool_exec_environment_variables`), encrypted at rest. */
export class AgentSecrets1795573251348 implements MigrationInterface {
  name = 'AgentSecrets1795573251348';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agent_secrets (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        key text NOT NULL,
        value_enc text NOT NULL,
        description text,
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT agent_secrets_agent_key_unique UNIQUE (agent_id, key)
      )`);
    await q.query(`CREATE INDEX agent_secrets_org_agent_idx ON agent_secrets (organization_id, agent_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS agent_secrets`);
  }
}
