import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import { CreateToolDto, ListToolsQueryDto, SearchToolsDto, UpdateToolDto } from './dto/tool.dto';
import { toToolDto } from './tool.entity';
import { ToolFilter } from './tools.repository';
import { ToolsService } from './tools.service';
import { Access } from '../common/auth/access.decorator';
import { ApiOk, ApiOkSchema } from '../common/api-response';
import { DeletedResponse, ToolResponse, ToolSearchResult } from './dto/tool.response';

const toolId = () => new IdPipe('tool');

function filterOf(q: ListToolsQueryDto): ToolFilter {
  return {
    name: q.name,
    names: q.names,
    ids: q.tool_ids,
    search: q.search,
    toolTypes: q.tool_types,
    excludeToolTypes: q.exclude_tool_types,
    onlyLetta: q.return_only_letta_tools,
  };
}

@ApiTags('tools')
@Access('member')
@Controller('tools')
export class ToolsController {
  constructor(private readonly tools: ToolsService) {}

  @ApiOk(ToolResponse)
  @Post()
  @HttpCode(200)
  async create(@Auth() p: Principal, @Body() dto: CreateToolDto) {
    return toToolDto(await this.tools.create(p, dto));
  }

  @ApiOk(ToolResponse)
  @Put()
  async upsert(@Auth() p: Principal, @Body() dto: CreateToolDto) {
    return toToolDto(await this.tools.upsert(p, dto));
  }

  @ApiOk([ToolResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListToolsQueryDto) {
    return (await this.tools.list(p, filterOf(q), pageRequest(q))).map(toToolDto);
  }

  @ApiOkSchema({ type: 'integer' })
  @Get('count')
  count(@Auth() p: Principal, @Query() q: ListToolsQueryDto) {
    return this.tools.count(p, filterOf(q));
  }

  @ApiOk([ToolSearchResult])
  @Access('member', { read: true })
  @Post('search')
  @HttpCode(200)
  async search(@Auth() p: Principal, @Body() dto: SearchToolsDto) {
    const found = await this.tools.search(p, dto);
    return found.map((f) => ({
      tool: toToolDto(f.tool),
      combined_score: f.rank,
      fts_rank: f.position,
      vector_rank: null,
      embedded_text: null,
    }));
  }

  @ApiOk(ToolResponse)
  @Get(':tool_id')
  async get(@Auth() p: Principal, @Param('tool_id', toolId()) id: string) {
    return toToolDto(await this.tools.get(p, id));
  }

  @ApiOk(ToolResponse)
  @Patch(':tool_id')
  async update(@Auth() p: Principal, @Param('tool_id', toolId()) id: string, @Body() dto: UpdateToolDto) {
    return toToolDto(await this.tools.update(p, id, dto));
  }

  @ApiOk(DeletedResponse)
  @Delete(':tool_id')
  async delete(@Auth() p: Principal, @Param('tool_id', toolId()) id: string) {
    await this.tools.delete(p, id);
    return { id, deleted: true };
  }
}
