import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys (stored as SHA-256, found by a 12-hex prefix) and client-side access tokens (found by
 * SHA-256, kept encrypted for Letta's list route). Both die with their organization; a key that
 * acts as a user dies with that user.
 */
export class Auth1795575000000 implements MigrationInterface {
  name = 'Auth1795575000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        user_id text REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'org_admin', 'member', 'read_only')),
        expires_at timestamptz,
        rate_limit_per_minute integer CHECK (rate_limit_per_minute > 0),
        last_used_at timestamptz,
        created_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT api_keys_prefix_unique UNIQUE (prefix)
      )`);
    await q.query(`CREATE INDEX api_keys_org_created_idx ON api_keys (organization_id, created_at, id)`);
    await q.query(`
      CREATE TABLE client_access_tokens (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        user_id text NOT NULL,
        token_hash text NOT NULL,
        token_enc text NOT NULL,
        hostname text NOT NULL,
        policy jsonb NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT client_access_tokens_hash_unique UNIQUE (token_hash)
      )`);
    await q.query(
      `CREATE INDEX client_access_tokens_org_created_idx ON client_access_tokens (organization_id, created_at, id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS client_access_tokens`);
    await q.query(`DROP TABLE IF EXISTS api_keys`);
  }
}
