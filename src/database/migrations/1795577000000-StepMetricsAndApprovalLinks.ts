import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Letta's step metrics (where a step's time went, in nanoseconds) and, on an approval response,
 * the id of the approval request message it answers.
 */
export class StepMetricsAndApprovalLinks1795577000000 implements MigrationInterface {
  name = 'StepMetricsAndApprovalLinks1795577000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE steps ADD COLUMN step_ns bigint, ADD COLUMN llm_request_ns bigint, ADD COLUMN tool_execution_ns bigint`,
    );
    await q.query(`ALTER TABLE messages ADD COLUMN approval_request_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS approval_request_id`);
    await q.query(
      `ALTER TABLE steps DROP COLUMN IF EXISTS step_ns, DROP COLUMN IF EXISTS llm_request_ns, DROP COLUMN IF EXISTS tool_execution_ns`,
    );
  }
}
