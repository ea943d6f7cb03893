import { NObj, NStr, NStrArr, Str, StrArr } from '../../common/api-response';

/** Letta's StdioMcpServer | SseMcpServer | StreamableHTTPMcpServer, as one shape (by `mcp_server_type`). */
export class McpServerResponse {
  @Str({ example: 'mcp_server-…' }) id: string;
  @Str() server_name: string;
  @Str({ enum: ['stdio', 'sse', 'streamable_http'] }) mcp_server_type: string;
  @NStr({ required: false, description: 'stdio' }) command?: string | null;
  @NStrArr({ required: false, description: 'stdio' }) args?: string[] | null;
  @NObj({ required: false, description: 'stdio' }) env?: Record<string, string> | null;
  @NStr({ required: false, description: 'sse, streamable_http' }) server_url?: string | null;
  @NStr({ required: false }) auth_header?: string | null;
  @NStr({ required: false }) auth_token?: string | null;
  @NObj({ required: false }) custom_headers?: Record<string, string> | null;
}

/** PATCH /v1/mcp-servers/:id/refresh: the tool names the sync changed (Letta answers an untyped object). */
export class McpRefreshResponse {
  @StrArr() added: string[];
  @StrArr() updated: string[];
  @StrArr() deleted: string[];
  @StrArr({ description: 'Gone from the server but still attached to an agent: kept' }) kept: string[];
  @StrArr({ description: 'The name belongs to another tool: not overwritten' }) conflicts: string[];
}
