import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MCP servers (Letta's `/v1/mcp-servers`). Credentials (stdio env, auth token, custom headers)
 * are stored only encrypted (common/secrets.ts). An MCP server's tools are ordinary `tools`
 * rows (`tool_type = 'external_mcp'`, `metadata.mcp.server_id`), indexed here for the
 * per-server lookups.
 */
export class McpServers1795574100000 implements MigrationInterface {
  name = 'McpServers1795574100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mcp_servers (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        server_name text NOT NULL,
        server_type text NOT NULL CHECK (server_type IN ('streamable_http', 'sse', 'stdio')),
        server_url text,
        command text,
        args jsonb,
        env_enc text,
        auth_header text,
        auth_token_enc text,
        custom_headers_enc text,
        metadata jsonb,
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT mcp_servers_org_name_unique UNIQUE (organization_id, server_name)
      )`);
    await q.query(
      `CREATE INDEX mcp_servers_org_created_idx ON mcp_servers (organization_id, created_at, id)`,
    );
    await q.query(`
      CREATE INDEX tools_mcp_server_idx ON tools (organization_id, ((metadata -> 'mcp' ->> 'server_id')))
      WHERE tool_type = 'external_mcp'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS tools_mcp_server_idx`);
    await q.query(`DROP TABLE IF EXISTS mcp_servers`);
  }
}
