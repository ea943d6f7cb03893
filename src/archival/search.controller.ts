import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { ArchivalMemoryService } from './archival-memory.service';
import { MessageSearchDto } from './dto/message-search.dto';
import { PassageSearchDto, toPassageDto } from './dto/passage.dto';
import { RecallSearchService, toMessageSearchResults } from './recall-search.service';
import { Access } from '../common/auth/access.decorator';
import { ApiOk } from '../common/api-response';
import { MessageSearchHit, PassageSearchHit } from './dto/archival.response';

const date = (s: string | null | undefined) => (s ? new Date(s) : undefined);

/** Organization-wide searches: `POST /v1/passages/search` and `POST /v1/messages/search`. */
@Access('member', { read: true })
@Controller()
export class SearchController {
  constructor(
    private readonly memory: ArchivalMemoryService,
    private readonly recall: RecallSearchService,
  ) {}

  @ApiOk([PassageSearchHit])
  @ApiTags('passages')
  @Post('passages/search')
  @HttpCode(200)
  async passages(@Auth() p: Principal, @Body() dto: PassageSearchDto) {
    const hits = await this.memory.search(
      p,
      { agentId: dto.agent_id, archiveId: dto.agent_id ? undefined : dto.archive_id },
      dto.query ?? null,
      {
        tags: dto.tags,
        tagMatchMode: dto.tag_match_mode,
        start: date(dto.start_date),
        end: date(dto.end_date),
      },
      dto.limit ?? 50,
    );
    return hits.map((h) => ({
      passage: toPassageDto(h.item.passage),
      score: h.rrfScore,
      metadata: {
        rrf_score: h.rrfScore,
        combined_score: h.rrfScore,
        vector_rank: h.vectorRank,
        fts_rank: h.ftsRank,
      },
    }));
  }

  @ApiOk([MessageSearchHit])
  @ApiTags('messages')
  @Post('messages/search')
  @HttpCode(200)
  async messages(@Auth() p: Principal, @Body() dto: MessageSearchDto) {
    // Engram has no conversations yet, so no message belongs to one.
    if (dto.conversation_id) return [];
    const hits = await this.recall.search(p, {
      agentId: dto.agent_id,
      query: dto.query,
      mode: dto.search_mode,
      start: date(dto.start_date),
      end: date(dto.end_date),
      limit: dto.limit ?? 50,
    });
    return hits.flatMap(toMessageSearchResults);
  }
}
