import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversations: independent message threads on one agent, sharing its memory blocks. Each has
 * its own in-context message list (its own system message first); the messages it produced
 * carry its id, and so do its runs. A fork starts from the source's in-context messages
 * (shared rows, not copies), listed in `inherited_message_ids`.
 */
export class Conversations1796200000000 implements MigrationInterface {
  name = 'Conversations1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE conversations (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        summary text,
        description text,
        model text,
        context_window_limit integer,
        hidden boolean NOT NULL DEFAULT false,
        archived boolean NOT NULL DEFAULT false,
        archived_at timestamptz,
        in_context_message_ids text[] NOT NULL DEFAULT '{}',
        inherited_message_ids text[] NOT NULL DEFAULT '{}',
        last_message_at timestamptz,
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX conversations_org_created_idx ON conversations (organization_id, created_at, id)`,
    );
    await q.query(
      `CREATE INDEX conversations_agent_created_idx ON conversations (organization_id, agent_id, created_at, id)`,
    );
    await q.query(`ALTER TABLE messages ADD COLUMN conversation_id text`);
    await q.query(
      `CREATE INDEX messages_conversation_seq_idx ON messages (organization_id, conversation_id, sequence_id)
       WHERE conversation_id IS NOT NULL`,
    );
    await q.query(`ALTER TABLE runs ADD COLUMN conversation_id text`);
    await q.query(
      `CREATE INDEX runs_conversation_idx ON runs (conversation_id, created_at) WHERE conversation_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs DROP COLUMN conversation_id`);
    await q.query(`ALTER TABLE messages DROP COLUMN conversation_id`);
    await q.query(`DROP TABLE conversations`);
  }
}
