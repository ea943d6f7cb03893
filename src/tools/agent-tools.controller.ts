import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { InvalidInputError } from '../common/errors';
import { IdPipe } from '../common/id.pipe';
import { PageQueryDto, pageRequest } from '../common/pagination';
import { AgentToolsService } from './agent-tools.service';
import { RunToolDto, ToolApprovalDto, ToolApprovalQueryDto } from './dto/tool.dto';
import { toToolDto } from './tool.entity';
import { Access } from '../common/auth/access.decorator';
import { ApiOk } from '../common/api-response';
import { ToolExecutionResponse, ToolResponse } from './dto/tool.response';
import { AgentStateResponse } from '../agents/dto/agent.response';

const agentId = () => new IdPipe('agent');
const toolId = () => new IdPipe('tool');

/** `/v1/agents/:agent_id/tools...`: an agent's tools. */
@ApiTags('agents')
@Access('member')
@Controller('agents/:agent_id/tools')
export class AgentToolsController {
  constructor(private readonly agentTools: AgentToolsService) {}

  @ApiOk([ToolResponse])
  @Get()
  async list(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Query() q: PageQueryDto) {
    return (await this.agentTools.list(p, id, pageRequest(q, { order: 'asc' }))).map(toToolDto);
  }

  @ApiOk(AgentStateResponse)
  @Patch('attach/:tool_id')
  attach(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('tool_id', toolId()) tool: string,
  ) {
    return this.agentTools.attach(p, id, tool);
  }

  @ApiOk(AgentStateResponse)
  @Patch('detach/:tool_id')
  detach(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('tool_id', toolId()) tool: string,
  ) {
    return this.agentTools.detach(p, id, tool);
  }

  @ApiOk(AgentStateResponse)
  @Patch('approval/:tool_name')
  approval(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('tool_name') toolName: string,
    @Body() dto: ToolApprovalDto,
    @Query() q: ToolApprovalQueryDto,
  ) {
    const required = dto.requires_approval ?? dto.body_requires_approval ?? q.requires_approval;
    if (required === undefined)
      throw new InvalidInputError('requires_approval: a boolean is required (body or query)');
    return this.agentTools.setApproval(p, id, toolName, required);
  }

  @ApiOk(ToolExecutionResponse)
  @Post(':tool_name/run')
  @HttpCode(200)
  run(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('tool_name') toolName: string,
    @Body() dto: RunToolDto,
  ) {
    return this.agentTools.run(p, id, toolName, dto.args ?? {});
  }
}
