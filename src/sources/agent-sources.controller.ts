import { Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { PageQueryDto, pageRequest } from '../common/pagination';
import { AgentFilesService } from './agent-files.service';
import { ListAgentFilesQueryDto } from './dto/source.dto';
import { toFolderDto } from './source.entity';
import { SourcesService } from './sources.service';
import { ApiOk, ApiOkSchema } from '../common/api-response';
import { AgentStateResponse } from '../agents/dto/agent.response';
import { AgentFilesPageResponse, FileClosedResponse, FolderResponse } from './dto/source.response';

const agentId = () => new IdPipe('agent');
const folderId = () => new IdPipe('source');
const fileId = () => new IdPipe('file');

/** An agent's folders (`/folders`, and Letta's older `/sources`) and its view of their files. */
@ApiTags('agents')
@Access('member')
@Controller('agents/:agent_id')
export class AgentSourcesController {
  constructor(
    private readonly sources: SourcesService,
    private readonly agentFiles: AgentFilesService,
  ) {}

  @ApiOk([FolderResponse])
  @Get(['folders', 'sources'])
  async folders(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Query() q: PageQueryDto) {
    return (await this.sources.forAgent(p, id, pageRequest(q, { order: 'asc' }))).map(toFolderDto);
  }

  /** Answers the agent's state, as Letta does. */
  @ApiOk(AgentStateResponse)
  @Patch(['folders/attach/:folder_id', 'sources/attach/:folder_id'])
  attach(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('folder_id', folderId()) folder: string,
  ) {
    return this.sources.attach(p, id, folder);
  }

  @ApiOk(AgentStateResponse)
  @Patch(['folders/detach/:folder_id', 'sources/detach/:folder_id'])
  detach(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('folder_id', folderId()) folder: string,
  ) {
    return this.sources.detach(p, id, folder);
  }

  /** Letta's NextFilesPage: `{files, next_cursor, has_more}`. */
  @ApiOk(AgentFilesPageResponse)
  @Get('files')
  files(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Query() q: ListAgentFilesQueryDto) {
    const page = pageRequest({ ...q, after: q.after ?? q.cursor }, { limit: 100 });
    return this.agentFiles.list(p, id, { isOpen: q.is_open }, page);
  }

  /** Answers the names of the files closed to stay within the agent's open-file limit. */
  @ApiOkSchema({ type: 'array', items: { type: 'string' } }, 'Names of the files closed')
  @Patch('files/close-all')
  closeAll(@Auth() p: Principal, @Param('agent_id', agentId()) id: string) {
    return this.agentFiles.closeAll(p, id);
  }

  @ApiOkSchema(
    { type: 'array', items: { type: 'string' } },
    'Names of the files closed to stay within the open-file limit',
  )
  @Patch('files/:file_id/open')
  open(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('file_id', fileId()) file: string,
  ) {
    return this.agentFiles.open(p, id, file);
  }

  @ApiOk(FileClosedResponse)
  @Patch('files/:file_id/close')
  async close(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('file_id', fileId()) file: string,
  ) {
    await this.agentFiles.close(p, id, file);
    return { message: `File id=${file} successfully closed` };
  }
}
