import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import { ArchivalMemoryService } from './archival-memory.service';
import { ArchivesService } from './archives.service';
import { CreateArchiveDto, ListArchivesQueryDto, toArchiveDto, UpdateArchiveDto } from './dto/archive.dto';
import { CreateArchivePassageDto, CreateArchivePassagesDto, toPassageDto } from './dto/passage.dto';
import { Access } from '../common/auth/access.decorator';
import { ApiNoContent, ApiOk } from '../common/api-response';
import { ArchiveResponse, PassageResponse } from './dto/archival.response';

const input = (d: CreateArchivePassageDto) => ({
  text: d.text,
  tags: d.tags,
  metadata: d.metadata,
  createdAt: d.created_at ? new Date(d.created_at) : null,
});

@ApiTags('archives')
@Access('member')
@Controller('archives')
export class ArchivesController {
  constructor(
    private readonly archives: ArchivesService,
    private readonly memory: ArchivalMemoryService,
  ) {}

  @ApiOk(ArchiveResponse)
  @Post()
  @HttpCode(200)
  async create(@Auth() p: Principal, @Body() dto: CreateArchiveDto) {
    return toArchiveDto(await this.archives.create(p, dto));
  }

  @ApiOk([ArchiveResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListArchivesQueryDto) {
    const rows = await this.archives.list(p, { name: q.name, agentId: q.agent_id }, pageRequest(q));
    return rows.map(toArchiveDto);
  }

  @ApiOk(ArchiveResponse)
  @Get(':archive_id')
  async get(@Auth() p: Principal, @Param('archive_id', new IdPipe('archive')) id: string) {
    return toArchiveDto(await this.archives.get(p, id));
  }

  @ApiOk(ArchiveResponse)
  @Patch(':archive_id')
  async update(
    @Auth() p: Principal,
    @Param('archive_id', new IdPipe('archive')) id: string,
    @Body() dto: UpdateArchiveDto,
  ) {
    return toArchiveDto(await this.archives.update(p, id, dto));
  }

  @ApiNoContent()
  @Delete(':archive_id')
  @HttpCode(204)
  async delete(@Auth() p: Principal, @Param('archive_id', new IdPipe('archive')) id: string) {
    await this.archives.delete(p, id);
  }

  @ApiOk(PassageResponse)
  @Post(':archive_id/passages')
  @HttpCode(200)
  async createPassage(
    @Auth() p: Principal,
    @Param('archive_id', new IdPipe('archive')) id: string,
    @Body() dto: CreateArchivePassageDto,
  ) {
    const [row] = await this.memory.insertIntoArchive(p, id, [input(dto)]);
    return toPassageDto(row);
  }

  @ApiOk([PassageResponse])
  @Post(':archive_id/passages/batch')
  @HttpCode(200)
  async createPassages(
    @Auth() p: Principal,
    @Param('archive_id', new IdPipe('archive')) id: string,
    @Body() dto: CreateArchivePassagesDto,
  ) {
    const rows = await this.memory.insertIntoArchive(p, id, dto.passages.map(input));
    return rows.map(toPassageDto);
  }

  @ApiNoContent()
  @Delete(':archive_id/passages/:passage_id')
  @HttpCode(204)
  async deletePassage(
    @Auth() p: Principal,
    @Param('archive_id', new IdPipe('archive')) id: string,
    @Param('passage_id', new IdPipe('passage')) passageId: string,
  ) {
    await this.memory.deleteFromArchive(p, id, passageId);
  }
}
