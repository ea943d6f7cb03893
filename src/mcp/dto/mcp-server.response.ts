import { NObj, NStr, NStrArr, Str } from '../../common/api-response';

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
