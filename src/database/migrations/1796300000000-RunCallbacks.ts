import { MigrationInterface, QueryRunner } from 'typeorm';

/** What became of a run's `callback_url` POST: when it was last tried, the answer, the error. */
export class RunCallbacks1796300000000 implements MigrationInterface {
  name = 'RunCallbacks1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE runs
        ADD COLUMN callback_sent_at timestamptz,
        ADD COLUMN callback_status_code integer,
        ADD COLUMN callback_error text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE runs DROP COLUMN callback_sent_at, DROP COLUMN callback_status_code, DROP COLUMN callback_error`,
    );
  }
}
