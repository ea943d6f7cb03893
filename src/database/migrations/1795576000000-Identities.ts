import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Letta's identities: the end users (or organizations) an application serves, keyed by the
 * application's own `identifier_key`, with typed properties, linked to agents and blocks.
 */
export class Identities1795576000000 implements MigrationInterface {
  name = 'Identities1795576000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE identities (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        identifier_key text NOT NULL,
        name text NOT NULL,
        identity_type text NOT NULL,
        project_id text,
        properties jsonb NOT NULL DEFAULT '[]',
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT identities_key_unique UNIQUE NULLS NOT DISTINCT (organization_id, identifier_key, project_id)
      )`);
    await q.query(`CREATE INDEX identities_org_created_idx ON identities (organization_id, created_at, id)`);
    await q.query(`
      CREATE TABLE identities_agents (
        organization_id text NOT NULL,
        identity_id text NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        PRIMARY KEY (identity_id, agent_id)
      )`);
    await q.query(`CREATE INDEX identities_agents_agent_idx ON identities_agents (agent_id)`);
    await q.query(`
      CREATE TABLE identities_blocks (
        organization_id text NOT NULL,
        identity_id text NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        block_id text NOT NULL REFERENCES blocks(id) ON DELETE CASCADE,
        PRIMARY KEY (identity_id, block_id)
      )`);
    await q.query(`CREATE INDEX identities_blocks_block_idx ON identities_blocks (block_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['identities_blocks', 'identities_agents', 'identities'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
