import { ApiProperty } from '@nestjs/swagger';
import { Bool, Date_, NDate, NInt, NObj, NStr, Obj, Str } from '../../common/api-response';
import { PROCESSING_STATUSES } from '../file.entity';

/** Letta's Folder (and the older Source): toFolderDto. */
export class FolderResponse {
  @Str({ example: 'source-…' }) id: string;
  @Str() name: string;
  @NStr() description: string | null;
  @NStr() instructions: string | null;
  @NObj() metadata: Record<string, unknown> | null;
  @Obj({ description: 'The embedding model the files are embedded with' })
  embedding_config: Record<string, unknown>;
  @Str({ enum: ['native'] }) vector_db_provider: 'native';
  @Str() organization_id: string;
  @NStr() created_by_id: string | null;
  @NStr() last_updated_by_id: string | null;
  @Date_() created_at: string;
  @Date_() updated_at: string;
}

/** Letta's FileMetadata: toFileDto; `content` is null unless `include_content` asked for it. */
export class FileMetadataResponse {
  @Str({ example: 'file-…' }) id: string;
  @Str({ deprecated: true, description: 'Use folder_id' }) source_id: string;
  @Str() folder_id: string;
  @Str() organization_id: string;
  @Str() file_name: string;
  @Str() original_file_name: string;
  @NStr() file_path: string | null;
  @NStr({ description: 'MIME type' }) file_type: string | null;
  @NInt({ description: 'Bytes' }) file_size: number | null;
  @NStr() file_creation_date: string | null;
  @NStr() file_last_modified_date: string | null;
  @Str({ enum: PROCESSING_STATUSES }) processing_status: string;
  @NStr() error_message: string | null;
  @NInt() total_chunks: number | null;
  @NInt() chunks_embedded: number | null;
  @NStr() content: string | null;
  @Date_() created_at: string;
  @Date_() updated_at: string;
}

/** One file of an agent's folders as the agent sees it (Letta's AgentFileAttachment). */
export class AgentFileAttachmentResponse {
  @Str({ description: 'The file-agent relationship' }) id: string;
  @Str() file_id: string;
  @Str({ description: 'folder/file' }) file_name: string;
  @Str() folder_id: string;
  @Str() folder_name: string;
  @Bool() is_open: boolean;
  @NDate() last_accessed_at: string | null;
  @NStr({ description: 'The open window of the file; null when closed' }) visible_content: string | null;
  @NInt() start_line: number | null;
  @NInt() end_line: number | null;
}

/** GET /v1/agents/:id/files (Letta's PaginatedAgentFiles). */
export class AgentFilesPageResponse {
  @ApiProperty({ type: [AgentFileAttachmentResponse] }) files: AgentFileAttachmentResponse[];
  @NStr({ description: 'Pass as `after` (or `cursor`) for the next page' }) next_cursor: string | null;
  @Bool() has_more: boolean;
}

/** PATCH /v1/agents/:id/files/:file_id/close. */
export class FileClosedResponse {
  @Str() message: string;
}
