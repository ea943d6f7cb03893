import { MigrationInterface, QueryRunner } from 'typeorm';
import { decryptSecret, encryptSecret, loadSecretsKey } from '../../common/secrets';
import { loadConfig } from '../../config/config';

/** The secrets key the running configuration would use (ENGRAM_SECRETS_KEY, else the data dir's key file). */
function secretsKey(): Buffer {
  const config = loadConfig();
  return loadSecretsKey(config.secretsKey, config.dataDir);
}

/**
 * MCP server URLs and stdio arguments often carry credentials (`https://host/mcp/<token>`,
 * `?api_key=`, `--token=...`), so they join the env, auth token and headers in being stored
 * only encrypted (AES-256-GCM under ENGRAM_SECRETS_KEY, bound to the row and field). Existing
 * rows are encrypted here; the plaintext columns are dropped.
 */
export class EncryptMcpLocations1795575100000 implements MigrationInterface {
  name = 'EncryptMcpLocations1795575100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mcp_servers ADD COLUMN server_url_enc text, ADD COLUMN args_enc text`);
    const rows: Array<{ id: string; server_url: string | null; args: string[] | null }> = await q.query(
      `SELECT id, server_url, args FROM mcp_servers WHERE server_url IS NOT NULL OR args IS NOT NULL`,
    );
    if (rows.length) {
      const key = secretsKey();
      const enc = (id: string, field: string, v: unknown) =>
        v == null ? null : encryptSecret(JSON.stringify(v), key, `${id}/${field}`);
      for (const r of rows)
        await q.query(`UPDATE mcp_servers SET server_url_enc = $2, args_enc = $3 WHERE id = $1`, [
          r.id,
          enc(r.id, 'server_url', r.server_url),
          enc(r.id, 'args', r.args),
        ]);
    }
    await q.query(`ALTER TABLE mcp_servers DROP COLUMN server_url, DROP COLUMN args`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mcp_servers ADD COLUMN server_url text, ADD COLUMN args jsonb`);
    const rows: Array<{ id: string; server_url_enc: string | null; args_enc: string | null }> = await q.query(
      `SELECT id, server_url_enc, args_enc FROM mcp_servers WHERE server_url_enc IS NOT NULL OR args_enc IS NOT NULL`,
    );
    if (rows.length) {
      const key = secretsKey();
      const dec = (id: string, field: string, v: string | null) =>
        v == null ? null : decryptSecret(v, key, `${id}/${field}`);
      for (const r of rows)
        await q.query(
          `UPDATE mcp_servers SET server_url = $2::text::jsonb #>> '{}', args = $3::jsonb WHERE id = $1`,
          [r.id, dec(r.id, 'server_url', r.server_url_enc), dec(r.id, 'args', r.args_enc)],
        );
    }
    await q.query(`ALTER TABLE mcp_servers DROP COLUMN server_url_enc, DROP COLUMN args_enc`);
  }
}
