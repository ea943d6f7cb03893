import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ToolExecutionResult } from '@engram/agent-runtime';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { Principal } from '../common/auth/principal';
import { DomainError, InvalidInputError, NotFoundError } from '../common/errors';
import { isId, newId } from '../common/ids';
import type { PageRequest } from '../common/pagination';
import { decryptSecret, encryptSecret, loadSecretsKey } from '../common/secrets';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { ToolEntity } from '../tools/tool.entity';
import { McpServerConfigDto, CreateMcpServerDto, UpdateMcpServerDto } from './dto/mcp-server.dto';
import {
  McpClientPool,
  McpConnectError,
  McpConnectionConfig,
  McpTarget,
  McpTimeoutError,
} from './mcp-client.pool';
import { resultText, toolJsonSchema } from './mcp-content';
import { McpServerEntity, McpServerType } from './mcp-server.entity';
import { McpServersRepository, McpSyncResult } from './mcp-servers.repository';
import { MCP_CONFIG, McpConfig } from './mcp.config';

const HTTP_FIELDS = ['server_url', 'auth_header', 'auth_token', 'custom_headers'] as const;
const STDIO_FIELDS = ['command', 'args', 'env'] as const;

/** The decrypted, validated settings of one server. */
interface Settings {
  type: McpServerType;
  serverUrl: string | null;
  authHeader: string | null;
  authToken: string | null;
  customHeaders: Record<string, string> | null;
  command: string | null;
  args: string[] | null;
  env: Record<string, string> | null;
}

/** MCP servers: their configuration, their tools as tool rows, and calls to those tools. */
@Injectable()
export class McpServersService {
  private readonly logger = new Logger(McpServersService.name);
  private readonly key: Buffer;

  constructor(
    private readonly servers: McpServersRepository,
    private readonly pool: McpClientPool,
    @Inject(MCP_CONFIG) private readonly mcpConfig: McpConfig,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.key = loadSecretsKey(config.secretsKey, config.dataDir);
  }

  /** Stores the server, then tries once to load its tools (a server that is down is still created, as in Letta). */
  async create(p: Principal, dto: CreateMcpServerDto): Promise<Record<string, unknown>> {
    const settings = this.validate(dto.config, null);
    const id = newId('mcp_server');
    const server = await this.servers.insert({
      id,
      organizationId: p.organizationId,
      serverName: dto.server_name,
      ...this.seal(id, settings),
      createdById: p.userId,
      lastUpdatedById: p.userId,
    });
    try {
      await this.sync(p, server);
    } catch (e) {
      this.logger.warn(
        `MCP server '${server.serverName}' created, but its tools could not be loaded: ${(e as Error).message}`,
      );
    }
    return this.toDto(server);
  }

  async list(p: Principal, page: PageRequest): Promise<Record<string, unknown>[]> {
    return (await this.servers.list(p.organizationId, page)).map((s) => this.toDto(s));
  }

  async get(p: Principal, id: string): Promise<Record<string, unknown>> {
    return this.toDto(await this.find(p, id));
  }

  async update(p: Principal, id: string, dto: UpdateMcpServerDto): Promise<Record<string, unknown>> {
    const server = await this.find(p, id);
    const settings = dto.config ? this.validate(dto.config, this.open(server)) : undefined;
    const patch: Partial<McpServerEntity> = { lastUpdatedById: p.userId };
    if (settings) Object.assign(patch, this.seal(id, settings));
    if (dto.server_name != null && dto.server_name !== server.serverName) patch.serverName = dto.server_name;
    const updated = await this.servers.update(p.organizationId, id, patch);
    if (!updated) throw new NotFoundError('MCP server', id);
    await this.pool.close(id);
    return this.toDto(updated);
  }

  /** Deletes the server and its tool rows (detaching them from agents), as Letta does. */
  async delete(p: Principal, id: string): Promise<void> {
    if (!(await this.servers.deleteWithTools(p.organizationId, id)))
      throw new NotFoundError('MCP server', id);
    await this.pool.close(id);
  }

  /** Re-lists the server's tools and syncs the tool rows; an unreachable server is a 502. */
  async refresh(p: Principal, id: string, agentId?: string): Promise<McpSyncResult> {
    if (agentId !== undefined && !isId('agent', agentId)) {
      throw new InvalidInputError(`agent_id: '${agentId}' is not a valid agent id`, 'invalid_id');
    }
    const server = await this.find(p, id);
    try {
      return await this.sync(p, server);
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new DomainError(
        502,
        'mcp_server_unavailable',
        `Could not list the tools of MCP server '${server.serverName}': ${errorText(e)}`,
      );
    }
  }

  async listTools(p: Principal, id: string): Promise<ToolEntity[]> {
    await this.find(p, id);
    return this.servers.toolsOf(p.organizationId, id);
  }

  async getTool(p: Principal, id: string, toolId: string): Promise<ToolEntity> {
    await this.find(p, id);
    const tool = await this.servers.toolOf(p.organizationId, id, toolId);
    if (!tool) throw new NotFoundError('Tool', `${toolId}' on MCP server '${id}`);
    return tool;
  }

  /** Runs one of the server's tools directly (`POST .../tools/:tool_id/run`). */
  async runTool(
    p: Principal,
    id: string,
    toolId: string,
    args: Record<string, unknown>,
  ): Promise<ToolExecutionResult> {
    const tool = await this.getTool(p, id, toolId);
    return this.execute(p, tool, args);
  }

  /**
   * Calls an `external_mcp` tool on its server: the tool return is the result's text, `isError`
   * makes it a failed return, and a server that is down, hung or gone is a failed return that
   * says so. Never throws for MCP trouble; no database transaction is held during the call.
   */
  async execute(
    p: Principal,
    tool: ToolEntity,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<ToolExecutionResult> {
    const server = await this.serverOf(p, tool);
    if (!server)
      return { status: 'error', funcReturn: `The MCP server of tool '${tool.name}' no longer exists` };
    const name = mcpMeta(tool).tool_name ?? tool.name;
    try {
      const result = await this.pool.callTool(this.target(server), name, args, signal);
      return { status: result.isError ? 'error' : 'success', funcReturn: resultText(result) };
    } catch (e) {
      return { status: 'error', funcReturn: errorText(e) };
    }
  }

  private async sync(p: Principal, server: McpServerEntity): Promise<McpSyncResult> {
    const tools = await this.pool.listTools(this.target(server));
    const rows = tools.map((t) => ({
      name: t.name,
      description: t.description ?? '',
      jsonSchema: toolJsonSchema(t),
    }));
    const result = await this.servers.syncTools(
      p.organizationId,
      { id: server.id, name: server.serverName, userId: p.userId },
      rows,
    );
    if (result.conflicts.length) {
      this.logger.warn(
        `MCP server '${server.serverName}': tools not added, the names are taken: ${result.conflicts.join(', ')}`,
      );
    }
    return result;
  }

  private async find(p: Principal, id: string): Promise<McpServerEntity> {
    const server = await this.servers.findById(p.organizationId, id);
    if (!server) throw new NotFoundError('MCP server', id);
    return server;
  }

  private async serverOf(p: Principal, tool: ToolEntity): Promise<McpServerEntity | null> {
    const meta = mcpMeta(tool);
    if (meta.server_id) return this.servers.findById(p.organizationId, meta.server_id);
    // Rows written by Letta carry only the `mcp:<server name>` tag.
    const tag = tool.tags?.find((t) => t.startsWith('mcp:'));
    const serverName = meta.server_name ?? tag?.slice(4);
    return serverName ? this.servers.findOneWhere({ organizationId: p.organizationId, serverName }) : null;
  }

  private target(server: McpServerEntity): McpTarget {
    const s = this.open(server);
    const config: McpConnectionConfig =
      s.type === 'stdio'
        ? { type: 'stdio', command: s.command!, args: s.args ?? [], env: s.env ?? {} }
        : { type: s.type, url: s.serverUrl!, headers: requestHeaders(s) };
    return { id: server.id, name: server.serverName, config };
  }

  /**
   * The settings a create (`current` null) or update asks for: the type's required fields
   * present, the other types' fields absent. On update, null/absent fields keep their value;
   * an empty auth_token, custom_headers or env clears it; a new type replaces everything.
   */
  private validate(c: McpServerConfigDto, current: Settings | null): Settings {
    const type =
      c.mcp_server_type ??
      current?.type ??
      (c.server_url == null && c.command != null ? 'stdio' : 'streamable_http');
    const base = current && current.type === type ? current : null;
    const foreign = type === 'stdio' ? HTTP_FIELDS : STDIO_FIELDS;
    for (const field of foreign) {
      if (c[field] != null)
        throw new InvalidInputError(`config.${field}: not a setting of ${type} MCP servers`);
    }
    if (type === 'stdio') {
      if (!this.mcpConfig.allowStdio) {
        throw new InvalidInputError(
          'config.mcp_server_type: stdio MCP servers are disabled on this server (ENGRAM_MCP_ALLOW_STDIO)',
          'mcp_stdio_disabled',
        );
      }
      const command = c.command ?? base?.command;
      if (!command?.trim()) throw new InvalidInputError('config.command: required for stdio MCP servers');
      const env = c.env == null ? (base?.env ?? null) : c.env;
      for (const key of Object.keys(env ?? {})) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
          throw new InvalidInputError(`config.env: '${key}' is not a valid environment variable name`);
      }
      return {
        ...EMPTY,
        type,
        command,
        args: c.args ?? base?.args ?? [],
        env: env && Object.keys(env).length ? env : null,
      };
    }
    const serverUrl = c.server_url ?? base?.serverUrl;
    if (!serverUrl) throw new InvalidInputError(`config.server_url: required for ${type} MCP servers`);
    if (!isHttpUrl(serverUrl))
      throw new InvalidInputError('config.server_url: must be an http:// or https:// URL');
    const headers = c.custom_headers == null ? (base?.customHeaders ?? null) : c.custom_headers;
    let token = c.auth_token == null ? (base?.authToken ?? null) : c.auth_token || null;
    const authHeader =
      (c.auth_header == null ? (base?.authHeader ?? null) : c.auth_header || null) ??
      (token ? 'Authorization' : null);
    if (token && isAuthorization(authHeader)) token = token.replace(/^Bearer\s+/i, '');
    return {
      ...EMPTY,
      type,
      serverUrl,
      authHeader,
      authToken: token,
      customHeaders: headers && Object.keys(headers).length ? headers : null,
    };
  }

  private seal(id: string, s: Settings): Partial<McpServerEntity> {
    const enc = (field: string, value: unknown) =>
      value == null ? null : encryptSecret(JSON.stringify(value), this.key, `${id}/${field}`);
    return {
      serverType: s.type,
      serverUrlEnc: enc('server_url', s.serverUrl),
      command: s.command,
      argsEnc: enc('args', s.args),
      authHeader: s.authHeader,
      envEnc: enc('env', s.env),
      authTokenEnc: enc('auth_token', s.authToken),
      customHeadersEnc: enc('custom_headers', s.customHeaders),
    };
  }

  private open(server: McpServerEntity): Settings {
    const dec = <T>(field: string, value: string | null): T | null =>
      value == null ? null : (JSON.parse(decryptSecret(value, this.key, `${server.id}/${field}`)) as T);
    return {
      type: server.serverType,
      serverUrl: dec<string>('server_url', server.serverUrlEnc),
      authHeader: server.authHeader,
      authToken: dec<string>('auth_token', server.authTokenEnc),
      customHeaders: dec<Record<string, string>>('custom_headers', server.customHeadersEnc),
      command: server.command,
      args: dec<string[]>('args', server.argsEnc),
      env: dec<Record<string, string>>('env', server.envEnc),
    };
  }

  /** Letta's StdioMcpServer | SseMcpServer | StreamableHTTPMcpServer. */
  toDto(server: McpServerEntity): Record<string, unknown> {
    const s = this.open(server);
    if (s.type === 'stdio') {
      return {
        id: server.id,
        server_name: server.serverName,
        mcp_server_type: 'stdio',
        command: s.command,
        args: s.args ?? [],
        env: s.env,
      };
    }
    return {
      id: server.id,
      server_name: server.serverName,
      mcp_server_type: s.type,
      server_url: s.serverUrl,
      auth_header: s.authHeader,
      auth_token: s.authToken && isAuthorization(s.authHeader) ? `Bearer ${s.authToken}` : s.authToken,
      custom_headers: s.customHeaders,
    };
  }
}

const EMPTY: Omit<Settings, 'type'> = {
  serverUrl: null,
  authHeader: null,
  authToken: null,
  customHeaders: null,
  command: null,
  args: null,
  env: null,
};

function requestHeaders(s: Settings): Record<string, string> {
  const headers = { ...(s.customHeaders ?? {}) };
  if (s.authToken && s.authHeader)
    headers[s.authHeader] = isAuthorization(s.authHeader) ? `Bearer ${s.authToken}` : s.authToken;
  return headers;
}

const isAuthorization = (header: string | null | undefined) => header?.toLowerCase() === 'authorization';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function mcpMeta(tool: ToolEntity): { server_id?: string; server_name?: string; tool_name?: string } {
  const meta = tool.metadata?.mcp;
  return meta && typeof meta === 'object' ? (meta as Record<string, string>) : {};
}

function errorText(e: unknown): string {
  if (e instanceof McpConnectError || e instanceof McpTimeoutError) return e.message;
  if (e instanceof McpError) return `MCP error: ${e.message}`;
  return `${(e as Error).name ?? 'Error'}: ${(e as Error).message ?? String(e)}`;
}
