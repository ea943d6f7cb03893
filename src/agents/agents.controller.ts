import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import { AgentsService } from './agents.service';
import {
  AgentIncludeQueryDto,
  CreateAgentDto,
  ListAgentsQueryDto,
  ListTagsQueryDto,
  relationsOf,
  UpdateAgentDto,
} from './dto/agent.dto';
import { Access } from '../common/auth/access.decorator';
import { ApiOk, ApiOkSchema } from '../common/api-response';
import { AgentDeletedResponse, AgentStateResponse } from './dto/agent.response';

const agentId = () => new IdPipe('agent');

@ApiTags('agents')
@Access('member')
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @ApiOk(AgentStateResponse)
  @Post()
  @HttpCode(200)
  async create(@Auth() p: Principal, @Body() dto: CreateAgentDto) {
    return this.agents.toState(p, await this.agents.create(p, dto));
  }

  @ApiOk([AgentStateResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListAgentsQueryDto) {
    const order = q.order ?? (q.ascending === undefined ? 'desc' : q.ascending ? 'asc' : 'desc');
    return this.agents.listStates(
      p,
      {
        name: q.name,
        tags: q.tags,
        matchAllTags: q.match_all_tags,
        queryText: q.query_text,
        projectId: q.project_id,
        templateId: q.template_id,
        baseTemplateId: q.base_template_id,
        createdById: q.created_by_id,
        lastStopReason: q.last_stop_reason,
        identityId: q.identity_id,
        identifierKeys: q.identifier_keys,
      },
      pageRequest({ ...q, order }),
      relationsOf(q),
    );
  }

  @ApiOkSchema({ type: 'integer' })
  @Get('count')
  count(@Auth() p: Principal) {
    return this.agents.count(p);
  }

  @ApiOk(AgentStateResponse)
  @Get(':agent_id')
  async get(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Query() q: AgentIncludeQueryDto,
  ) {
    return this.agents.getState(p, id, relationsOf(q));
  }

  @ApiOk(AgentStateResponse)
  @Patch(':agent_id')
  async update(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Body() dto: UpdateAgentDto) {
    return this.agents.toState(p, await this.agents.update(p, id, dto));
  }

  @ApiOk(AgentDeletedResponse)
  @Delete(':agent_id')
  async delete(@Auth() p: Principal, @Param('agent_id', agentId()) id: string) {
    await this.agents.delete(p, id);
    return { id, deleted: true, message: `Agent ${id} was deleted` };
  }
}

@ApiTags('tags')
@Access('member')
@Controller('tags')
export class TagsController {
  constructor(private readonly agents: AgentsService) {}

  @ApiOkSchema({ type: 'array', items: { type: 'string' } })
  @Get()
  list(@Auth() p: Principal, @Query() q: ListTagsQueryDto) {
    return this.agents.listTags(p, {
      after: q.after,
      before: q.before,
      limit: q.limit ?? 50,
      text: q.query_text ?? q.name,
      order: q.order ?? 'asc',
    });
  }
}
