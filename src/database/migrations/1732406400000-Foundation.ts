import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenants, agents, tags and core memory blocks. Every table carries organization_id. */
export class Foundation1732406400000 implements MigrationInterface {
  name = 'Foundation1732406400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organizations (
        id text PRIMARY KEY,
        name text NOT NULL,
        privileged_tools boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE users (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX users_org_idx ON users (organization_id, created_at, id)`);
    await q.query(`
      CREATE TABLE agents (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        agent_type text NOT NULL,
        system text NOT NULL,
        description text,
        metadata jsonb,
        model text,
        embedding text,
        llm_config jsonb NOT NULL,
        embedding_config jsonb,
        model_settings jsonb,
        tool_rules jsonb,
        response_format jsonb,
        compaction_settings jsonb,
        message_ids text[] NOT NULL DEFAULT '{}',
        message_buffer_autoclear boolean NOT NULL DEFAULT false,
        timezone text,
        max_files_open integer,
        per_file_view_window_char_limit integer,
        hidden boolean,
        project_id text,
        template_id text,
        base_template_id text,
        last_run_completion timestamptz,
        last_run_duration_ms integer,
        last_stop_reason text,
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX agents_org_created_idx ON agents (organization_id, created_at, id)`);
    await q.query(`CREATE INDEX agents_org_name_idx ON agents (organization_id, name)`);
    await q.query(`
      CREATE TABLE agent_tags (
        organization_id text NOT NULL,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        tag text NOT NULL,
        PRIMARY KEY (agent_id, tag)
      )`);
    await q.query(`CREATE INDEX agent_tags_org_tag_idx ON agent_tags (organization_id, tag)`);
    await q.query(`
      CREATE TABLE blocks (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        label text NOT NULL,
        value text NOT NULL,
        "limit" integer NOT NULL,
        description text,
        metadata jsonb,
        tags text[],
        read_only boolean NOT NULL DEFAULT false,
        hidden boolean,
        is_template boolean NOT NULL DEFAULT false,
        template_name text,
        template_id text,
        base_template_id text,
        deployment_id text,
        entity_id text,
        project_id text,
        preserve_on_migration boolean,
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT blocks_value_within_limit CHECK (char_length(value) <= "limit")
      )`);
    await q.query(`CREATE INDEX blocks_org_created_idx ON blocks (organization_id, created_at, id)`);
    await q.query(`
      CREATE TABLE blocks_agents (
        organization_id text NOT NULL,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        block_id text NOT NULL REFERENCES blocks(id) ON DELETE CASCADE,
        block_label text NOT NULL,
        position serial,
        PRIMARY KEY (agent_id, block_id),
        CONSTRAINT blocks_agents_label_unique UNIQUE (agent_id, block_label)
      )`);
    await q.query(`CREATE INDEX blocks_agents_block_idx ON blocks_agents (block_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['blocks_agents', 'blocks', 'agent_tags', 'agents', 'users', 'organizations']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
