import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { ArchivalMemoryService } from './archival-memory.service';
import { ArchivesService } from './archives.service';
import {
  CreateArchivalMemoryDto,
  ListArchivalMemoryQueryDto,
  SearchArchivalMemoryQueryDto,
  toPassageDto,
} from './dto/passage.dto';
import { Access } from '../common/auth/access.decorator';
import { ApiOk, ApiOkSchema } from '../common/api-response';
import { ArchivalSearchResponse, MessageResponse, PassageResponse } from './dto/archival.response';

/** An agent's archival memory: `/v1/agents/:agent_id/archival-memory` and archive attachment. */
@ApiTags('agents')
@Access('member')
@Controller('agents/:agent_id')
export class AgentArchivalController {
  constructor(
    private readonly memory: ArchivalMemoryService,
    private readonly archives: ArchivesService,
  ) {}

  @ApiOk([PassageResponse])
  @Post('archival-memory')
  @HttpCode(200)
  async insert(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Body() dto: CreateArchivalMemoryDto,
  ) {
    const rows = await this.memory.insertForAgent(p, agentId, [
      { text: dto.text, tags: dto.tags, createdAt: dto.created_at ? new Date(dto.created_at) : null },
    ]);
    return rows.map(toPassageDto);
  }

  @ApiOk([PassageResponse])
  @Get('archival-memory')
  async list(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Query() q: ListArchivalMemoryQueryDto,
  ) {
    const order = q.order ?? (q.ascending === false ? 'desc' : 'asc');
    const rows = await this.memory.listForAgent(p, agentId, q.search, {
      before: q.before,
      after: q.after,
      limit: q.limit ?? 100,
      order,
    });
    return rows.map(toPassageDto);
  }

  @ApiOk(ArchivalSearchResponse)
  @Get('archival-memory/search')
  async search(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Query() q: SearchArchivalMemoryQueryDto,
  ) {
    const hits = await this.memory.search(
      p,
      { agentId },
      q.query,
      {
        tags: q.tags,
        tagMatchMode: q.tag_match_mode,
        start: q.start_datetime ? new Date(q.start_datetime) : undefined,
        end: q.end_datetime ? new Date(q.end_datetime) : undefined,
      },
      q.top_k ?? 10,
    );
    return {
      count: hits.length,
      results: hits.map((h) => ({
        id: h.item.passage.id,
        content: h.item.passage.text,
        timestamp: h.item.passage.createdAt.toISOString(),
        tags: h.item.passage.tags ?? [],
        rrf_score: h.rrfScore,
        vector_rank: h.vectorRank,
        fts_rank: h.ftsRank,
      })),
    };
  }

  @ApiOk(MessageResponse)
  @Delete('archival-memory/:passage_id')
  async delete(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Param('passage_id', new IdPipe('passage')) passageId: string,
  ) {
    await this.memory.deleteForAgent(p, agentId, passageId);
    return { message: `Memory id=${passageId} successfully deleted` };
  }

  @ApiOkSchema({ nullable: true, description: 'null' })
  @Patch('archives/attach/:archive_id')
  async attach(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Param('archive_id', new IdPipe('archive')) archiveId: string,
  ) {
    await this.archives.attach(p, agentId, archiveId);
    return null;
  }

  @ApiOkSchema({ nullable: true, description: 'null' })
  @Patch('archives/detach/:archive_id')
  async detach(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Param('archive_id', new IdPipe('archive')) archiveId: string,
  ) {
    await this.archives.detach(p, agentId, archiveId);
    return null;
  }
}
