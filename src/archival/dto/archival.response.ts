import { ApiProperty } from '@nestjs/swagger';
import { Bool, Date_, Int, NInt, NObj, NStr, Num, Obj, Str, StrArr } from '../../common/api-response';

/** Letta's Passage (toPassageDto); `embedding` is never sent back. */
export class PassageResponse {
  @Str({ example: 'passage-…' }) id: string;
  @Str() text: string;
  @ApiProperty({ type: 'array', items: { type: 'number' }, nullable: true }) embedding: number[] | null;
  @NObj() embedding_config: Record<string, unknown> | null;
  @NStr() archive_id: string | null;
  @NStr() file_id: string | null;
  @NStr() file_name: string | null;
  @NStr() source_id: string | null;
  @StrArr() tags: string[];
  @Obj() metadata: Record<string, unknown>;
  @Bool() is_deleted: boolean;
  @Str() organization_id: string;
  @NStr() created_by_id: string | null;
  @NStr() last_updated_by_id: string | null;
  @Date_() created_at: string;
  @Date_() updated_at: string;
}

/** Letta's Archive (toArchiveDto). */
export class ArchiveResponse {
  @Str({ example: 'archive-…' }) id: string;
  @Str() name: string;
  @NStr() description: string | null;
  @NObj() embedding_config: Record<string, unknown> | null;
  @NStr() vector_db_provider: string | null;
  @Obj() metadata: Record<string, unknown>;
  @Str() organization_id: string;
  @NStr() created_by_id: string | null;
  @NStr() last_updated_by_id: string | null;
  @Date_() created_at: string;
  @Date_() updated_at: string;
}

export class ArchivalSearchHit {
  @Str() id: string;
  @Str() content: string;
  @Date_() timestamp: string;
  @StrArr() tags: string[];
  @Num() rrf_score: number;
  @NInt() vector_rank: number | null;
  @NInt() fts_rank: number | null;
}

/** GET /v1/agents/:id/archival-memory/search. */
export class ArchivalSearchResponse {
  @Int() count: number;
  @ApiProperty({ type: [ArchivalSearchHit] }) results: ArchivalSearchHit[];
}

/** DELETE .../archival-memory/:passage_id. */
export class MessageResponse {
  @Str() message: string;
}

export class PassageSearchScores {
  @Num() rrf_score: number;
  @Num() combined_score: number;
  @NInt() vector_rank: number | null;
  @NInt() fts_rank: number | null;
}

/** One hit of POST /v1/passages/search. */
export class PassageSearchHit {
  @ApiProperty({ type: PassageResponse }) passage: PassageResponse;
  @Num() score: number;
  @ApiProperty({ type: PassageSearchScores }) metadata: PassageSearchScores;
}

/** One hit of POST /v1/messages/search (a Letta message, flattened, with its scores). */
export class MessageSearchHit {
  @Str() message_type: string;
  @Str() message_id: string;
  @Str() agent_id: string;
  @NStr() conversation_id: string | null;
  @Date_() created_at: string;
  @Num() rrf_score: number;
  @NInt() vector_rank: number | null;
  @NInt() fts_rank: number | null;
}
