import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import { BlocksService } from './blocks.service';
import { CreateBlockDto, ListBlocksQueryDto, toBlockDto, UpdateBlockDto } from './dto/block.dto';
import { Access } from '../common/auth/access.decorator';
import { ApiOk } from '../common/api-response';
import { BlockResponse } from './dto/block.response';
import { DeletedResponse } from '../tools/dto/tool.response';

@ApiTags('blocks')
@Access('member')
@Controller('blocks')
export class BlocksController {
  constructor(private readonly blocks: BlocksService) {}

  @ApiOk(BlockResponse)
  @Post()
  @HttpCode(200)
  async create(@Auth() p: Principal, @Body() dto: CreateBlockDto) {
    return toBlockDto(await this.blocks.create(p, dto));
  }

  @ApiOk([BlockResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListBlocksQueryDto) {
    const blocks = await this.blocks.list(
      p,
      {
        label: q.label,
        templatesOnly: q.templates_only,
        templateName: q.name,
        projectId: q.project_id,
        tags: q.tags,
        matchAllTags: q.match_all_tags,
        labelSearch: q.label_search,
        valueSearch: q.value_search,
        descriptionSearch: q.description_search,
        connectedGt: q.connected_to_agents_count_gt,
        connectedLt: q.connected_to_agents_count_lt,
        connectedEq: q.connected_to_agents_count_eq,
        identityId: q.identity_id,
        identifierKeys: q.identifier_keys,
      },
      pageRequest(q),
    );
    return blocks.map(toBlockDto);
  }

  @ApiOk(BlockResponse)
  @Get(':block_id')
  async get(@Auth() p: Principal, @Param('block_id', new IdPipe('block')) id: string) {
    return toBlockDto(await this.blocks.get(p, id));
  }

  @ApiOk(BlockResponse)
  @Patch(':block_id')
  async update(
    @Auth() p: Principal,
    @Param('block_id', new IdPipe('block')) id: string,
    @Body() dto: UpdateBlockDto,
  ) {
    return toBlockDto(await this.blocks.update(p, id, dto));
  }

  @ApiOk(DeletedResponse)
  @Delete(':block_id')
  async delete(@Auth() p: Principal, @Param('block_id', new IdPipe('block')) id: string) {
    await this.blocks.delete(p, id);
    return { id, deleted: true };
  }
}
