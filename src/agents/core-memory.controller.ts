import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiTags, IntersectionType } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { pageRequest, PageQueryDto } from '../common/pagination';
import { BlocksService } from '../memory/blocks.service';
import { toBlockDto, UpdateBlockDto } from '../memory/dto/block.dto';
import { AgentsService } from './agents.service';
import { AgentIncludeQueryDto } from './dto/agent.dto';
import { Access } from '../common/auth/access.decorator';
import { ApiOk } from '../common/api-response';
import { BlockResponse } from '../memory/dto/block.response';
import { AgentStateResponse } from './dto/agent.response';

class BlockAgentsQueryDto extends IntersectionType(PageQueryDto, AgentIncludeQueryDto) {}

/** An agent's core memory: the blocks attached to it, addressed by label. */
@ApiTags('agents')
@Access('member')
@Controller('agents/:agent_id/core-memory')
export class CoreMemoryController {
  constructor(
    private readonly agents: AgentsService,
    private readonly blocks: BlocksService,
  ) {}

  @ApiOk([BlockResponse])
  @Get('blocks')
  async list(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Query() q: PageQueryDto,
  ) {
    await this.agents.assertExists(p, agentId);
    const all = (await this.blocks.forAgents(p, [agentId])).get(agentId) ?? [];
    // Attachment order, paged by id like every other list.
    const page = pageRequest(q, { order: 'asc' });
    let list = page.order === 'desc' ? [...all].reverse() : all;
    if (page.after) list = list.slice(list.findIndex((b) => b.id === page.after) + 1);
    if (page.before) {
      const at = list.findIndex((b) => b.id === page.before);
      list = list.slice(Math.max(0, at - page.limit), Math.max(at, 0));
    }
    return list.slice(0, page.limit).map(toBlockDto);
  }

  @ApiOk(BlockResponse)
  @Get('blocks/:block_label')
  async get(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Param('block_label') label: string,
  ) {
    await this.agents.assertExists(p, agentId);
    return toBlockDto(await this.blocks.getForAgent(p, agentId, label));
  }

  @ApiOk(BlockResponse)
  @Patch('blocks/:block_label')
  async update(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Param('block_label') label: string,
    @Body() dto: UpdateBlockDto,
  ) {
    await this.agents.assertExists(p, agentId);
    return toBlockDto(await this.blocks.updateForAgent(p, agentId, label, dto));
  }

  @ApiOk(AgentStateResponse)
  @Patch('blocks/attach/:block_id')
  async attach(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Param('block_id', new IdPipe('block')) blockId: string,
  ) {
    await this.agents.assertExists(p, agentId);
    await this.blocks.attach(p, agentId, blockId);
    return this.agents.toState(p, await this.agents.get(p, agentId));
  }

  @ApiOk(AgentStateResponse)
  @Patch('blocks/detach/:block_id')
  async detach(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Param('block_id', new IdPipe('block')) blockId: string,
  ) {
    await this.agents.assertExists(p, agentId);
    await this.blocks.detach(p, agentId, blockId);
    return this.agents.toState(p, await this.agents.get(p, agentId));
  }
}

/** GET /v1/blocks/:id/agents lives here because it answers with agents. */
@ApiTags('blocks')
@Access('member')
@Controller('blocks/:block_id/agents')
export class BlockAgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly blocks: BlocksService,
  ) {}

  @ApiOk([AgentStateResponse])
  @Get()
  async list(
    @Auth() p: Principal,
    @Param('block_id', new IdPipe('block')) blockId: string,
    @Query() q: BlockAgentsQueryDto,
  ) {
    await this.blocks.get(p, blockId);
    const agents = await this.agents.list(p, { blockId }, pageRequest(q));
    return this.agents.toStates(p, agents);
  }
}
