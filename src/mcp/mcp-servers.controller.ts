import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { PageQueryDto, pageRequest } from '../common/pagination';
import { toToolDto } from '../tools/tool.entity';
import {
  CreateMcpServerDto,
  RefreshMcpServerQueryDto,
  RunMcpToolDto,
  UpdateMcpServerDto,
} from './dto/mcp-server.dto';
import { McpServersService } from './mcp-servers.service';
import { Access } from '../common/auth/access.decorator';
import { ApiNoContent, ApiOk } from '../common/api-response';
import { McpRefreshResponse, McpServerResponse } from './dto/mcp-server.response';
import { ToolExecutionResponse, ToolResponse } from '../tools/dto/tool.response';

const serverId = () => new IdPipe('mcp_server');
const toolId = () => new IdPipe('tool');

/** `/v1/mcp-servers`: Letta's MCP server API (the client's `mcpServers` resource). */
@ApiTags('mcp-servers')
@Access('member')
@Controller('mcp-servers')
export class McpServersController {
  constructor(private readonly servers: McpServersService) {}

  @ApiOk(McpServerResponse)
  @Post()
  @HttpCode(200)
  create(@Auth() p: Principal, @Body() dto: CreateMcpServerDto) {
    return this.servers.create(p, dto);
  }

  /** Letta answers every server at once; paging is optional, oldest first, up to 1000. */
  @ApiOk([McpServerResponse])
  @Get()
  list(@Auth() p: Principal, @Query() q: PageQueryDto) {
    return this.servers.list(p, pageRequest(q, { order: 'asc', limit: 1000 }));
  }

  @ApiOk(McpServerResponse)
  @Get(':mcp_server_id')
  get(@Auth() p: Principal, @Param('mcp_server_id', serverId()) id: string) {
    return this.servers.get(p, id);
  }

  @ApiOk(McpServerResponse)
  @Patch(':mcp_server_id')
  update(
    @Auth() p: Principal,
    @Param('mcp_server_id', serverId()) id: string,
    @Body() dto: UpdateMcpServerDto,
  ) {
    return this.servers.update(p, id, dto);
  }

  @ApiNoContent()
  @Delete(':mcp_server_id')
  @HttpCode(204)
  async delete(@Auth() p: Principal, @Param('mcp_server_id', serverId()) id: string) {
    await this.servers.delete(p, id);
  }

  @ApiOk(McpRefreshResponse)
  @Patch(':mcp_server_id/refresh')
  refresh(
    @Auth() p: Principal,
    @Param('mcp_server_id', serverId()) id: string,
    @Query() q: RefreshMcpServerQueryDto,
  ) {
    return this.servers.refresh(p, id, q.agent_id);
  }

  @ApiOk([ToolResponse])
  @Get(':mcp_server_id/tools')
  async listTools(@Auth() p: Principal, @Param('mcp_server_id', serverId()) id: string) {
    return (await this.servers.listTools(p, id)).map(toToolDto);
  }

  @ApiOk(ToolResponse)
  @Get(':mcp_server_id/tools/:tool_id')
  async getTool(
    @Auth() p: Principal,
    @Param('mcp_server_id', serverId()) id: string,
    @Param('tool_id', toolId()) tool: string,
  ) {
    return toToolDto(await this.servers.getTool(p, id, tool));
  }

  @ApiOk(ToolExecutionResponse)
  @Post(':mcp_server_id/tools/:tool_id/run')
  @HttpCode(200)
  async runTool(
    @Auth() p: Principal,
    @Param('mcp_server_id', serverId()) id: string,
    @Param('tool_id', toolId()) tool: string,
    @Body() dto: RunMcpToolDto,
  ) {
    const r = await this.servers.runTool(p, id, tool, dto.args ?? {});
    return {
      status: r.status,
      func_return: r.funcReturn,
      stdout: r.stdout ?? [],
      stderr: r.stderr ?? [],
      agent_state: null,
      sandbox_config_fingerprint: null,
    };
  }
}
