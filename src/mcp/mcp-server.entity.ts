import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const MCP_SERVER_TYPES = ['streamable_http', 'sse', 'stdio'] as const;
export type McpServerType = (typeof MCP_SERVER_TYPES)[number];

/** One configured MCP server. Credentials are only ever stored encrypted (common/secrets.ts). */
@Entity('mcp_servers')
export class McpServerEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'server_name' }) serverName: string;
  @Column('text', { name: 'server_type' }) serverType: McpServerType;
  /** The server's URL, encrypted: URLs often carry a token. */
  @Column('text', { name: 'server_url_enc', nullable: true }) serverUrlEnc: string | null;
  @Column('text', { nullable: true }) command: string | null;
  /** JSON array of the stdio command's arguments, encrypted: they may carry a token. */
  @Column('text', { name: 'args_enc', nullable: true }) argsEnc: string | null;
  /** JSON object of the stdio child's environment, encrypted. */
  @Column('text', { name: 'env_enc', nullable: true }) envEnc: string | null;
  @Column('text', { name: 'auth_header', nullable: true }) authHeader: string | null;
  @Column('text', { name: 'auth_token_enc', nullable: true }) authTokenEnc: string | null;
  /** JSON object of extra HTTP headers, encrypted. */
  @Column('text', { name: 'custom_headers_enc', nullable: true }) customHeadersEnc: string | null;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
