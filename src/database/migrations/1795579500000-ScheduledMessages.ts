import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled messages: a message an agent receives later, once (`scheduled_at`) or on a cron
 * expression. `next_scheduled_at` is the firing the queue holds a delayed job for; a firing
 * claims it by moving it on, so a job delivered twice sends once.
 */
export class ScheduledMessages1795579500000 implements MigrationInterface {
  name = 'ScheduledMessages1795579500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE scheduled_messages (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        created_by_id text NOT NULL,
        request jsonb NOT NULL,
        schedule_type text NOT NULL CHECK (schedule_type IN ('one-time', 'recurring')),
        scheduled_at timestamptz,
        cron_expression text,
        next_scheduled_at timestamptz,
        last_fired_at timestamptz,
        last_run_id text,
        fire_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX scheduled_messages_agent_idx ON scheduled_messages (organization_id, agent_id, created_at, id)`,
    );
    await q.query(
      `CREATE INDEX scheduled_messages_next_idx ON scheduled_messages (next_scheduled_at) WHERE next_scheduled_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE scheduled_messages`);
  }
}
