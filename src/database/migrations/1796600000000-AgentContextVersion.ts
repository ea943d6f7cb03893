import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The agent row's version (`xmin`) also moves when one of its messages is edited or deleted, so
 * an in-process copy of an agent's in-context messages can be checked against the row alone
 * (src/runs/context-cache.ts). Inserts need nothing: what is in context is the row's
 * `message_ids`. Only the columns the agent loop reads count, so filling in embeddings does not;
 * nor does the system message, which every step rewrites in the statement that also writes the
 * agent row, and which the loop compiles afresh before each step (the stored text is only
 * compared with the new one, never sent).
 */
export class AgentContextVersion1796600000000 implements MigrationInterface {
  name = 'AgentContextVersion1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION engram_touch_agent_on_message_edit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE agents SET updated_at = now() WHERE id IN (OLD.agent_id, NEW.agent_id);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER messages_touch_agent_on_edit
      AFTER UPDATE OF id, organization_id, agent_id, role, content, tool_calls, tool_call_id, name,
        tool_returns, approvals, approval_request_id, run_id, step_id, otid, sender_id, is_err, model,
        created_at
      ON messages FOR EACH ROW WHEN (OLD.role <> 'system' OR NEW.role <> 'system')
      EXECUTE FUNCTION engram_touch_agent_on_message_edit()`);
    await q.query(`
      CREATE FUNCTION engram_touch_agent_on_message_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE agents SET updated_at = now() WHERE id IN (SELECT DISTINCT agent_id FROM gone);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER messages_touch_agent_on_delete
      AFTER DELETE ON messages REFERENCING OLD TABLE AS gone
      FOR EACH STATEMENT EXECUTE FUNCTION engram_touch_agent_on_message_delete()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER messages_touch_agent_on_delete ON messages`);
    await q.query(`DROP FUNCTION engram_touch_agent_on_message_delete()`);
    await q.query(`DROP TRIGGER messages_touch_agent_on_edit ON messages`);
    await q.query(`DROP FUNCTION engram_touch_agent_on_message_edit()`);
  }
}
