import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messages (recall memory) and tools: the two tables the agent loop, archival/recall search
 * and the tools domain all read. Runs, steps and passages come in their own migrations.
 */
export class MessagesAndTools1732406500000 implements MigrationInterface {
  name = 'MessagesAndTools1732406500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE messages (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        -- Global insertion order: the order of an agent's history.
        sequence_id bigserial NOT NULL,
        role text NOT NULL,
        content jsonb NOT NULL DEFAULT '[]',
        tool_calls jsonb,
        tool_call_id text,
        name text,
        tool_returns jsonb,
        approvals jsonb,
        run_id text,
        step_id text,
        otid text,
        sender_id text,
        is_err boolean,
        model text,
        -- Searchable text of the message (content, tool arguments and returns), set by the app.
        text_content text NOT NULL DEFAULT '',
        fts tsvector GENERATED ALWAYS AS (to_tsvector('english', text_content)) STORED,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX messages_sequence_idx ON messages (sequence_id)`);
    await q.query(`CREATE INDEX messages_agent_seq_idx ON messages (organization_id, agent_id, sequence_id)`);
    await q.query(`CREATE INDEX messages_agent_created_idx ON messages (agent_id, created_at, id)`);
    await q.query(`CREATE INDEX messages_run_idx ON messages (run_id) WHERE run_id IS NOT NULL`);
    await q.query(`CREATE INDEX messages_fts_idx ON messages USING gin (fts)`);

    await q.query(`
      CREATE TABLE tools (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        tool_type text NOT NULL DEFAULT 'custom',
        source_type text,
        source_code text,
        json_schema jsonb,
        args_json_schema jsonb,
        tags text[] NOT NULL DEFAULT '{}',
        return_char_limit integer NOT NULL DEFAULT 50000,
        pip_requirements jsonb,
        npm_requirements jsonb,
        default_requires_approval boolean,
        enable_parallel_execution boolean,
        metadata jsonb,
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT tools_org_name_unique UNIQUE (organization_id, name)
      )`);
    await q.query(`CREATE INDEX tools_org_created_idx ON tools (organization_id, created_at, id)`);
    await q.query(`
      CREATE TABLE tools_agents (
        organization_id text NOT NULL,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        tool_id text NOT NULL REFERENCES tools(id) ON DELETE CASCADE,
        position serial,
        PRIMARY KEY (agent_id, tool_id)
      )`);
    await q.query(`CREATE INDEX tools_agents_tool_idx ON tools_agents (tool_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['tools_agents', 'tools', 'messages']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
