import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { readUploadStream } from '../common/multipart';
import { PageQueryDto, pageRequest } from '../common/pagination';
import {
  CreateFolderDto,
  GetFileQueryDto,
  ListFilesQueryDto,
  ListFoldersQueryDto,
  UpdateFolderDto,
  UploadQueryDto,
} from './dto/source.dto';
import { toPassageDto } from '../archival/dto/passage.dto';
import { toFileDto } from './file.entity';
import { FilePassagesRepository } from './file-passages.repository';
import { FilesService } from './files.service';
import { toFolderDto } from './source.entity';
import { SourcesService } from './sources.service';
import { ApiOk, ApiOkSchema } from '../common/api-response';
import { PassageResponse } from '../archival/dto/archival.response';
import { FileMetadataResponse, FolderResponse } from './dto/source.response';

const folderId = () => new IdPipe('source');
const fileId = () => new IdPipe('file');

/** `/v1/folders` (and Letta's older `/v1/sources`): folders and their files. */
@ApiTags('folders')
@Access('member')
@Controller(['folders', 'sources'])
export class SourcesController {
  constructor(
    private readonly sources: SourcesService,
    private readonly files: FilesService,
    private readonly filePassages: FilePassagesRepository,
  ) {}

  @ApiOk(FolderResponse)
  @Post()
  @HttpCode(200)
  async create(@Auth() p: Principal, @Body() dto: CreateFolderDto) {
    return toFolderDto(await this.sources.create(p, dto));
  }

  @ApiOk([FolderResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListFoldersQueryDto) {
    return (await this.sources.list(p, q.name, pageRequest(q, { order: 'asc' }))).map(toFolderDto);
  }

  @ApiOkSchema({ type: 'integer' })
  @Get('count')
  count(@Auth() p: Principal) {
    return this.sources.count(p);
  }

  @ApiOk(FolderResponse)
  @Get(':folder_id')
  async get(@Auth() p: Principal, @Param('folder_id', folderId()) id: string) {
    return toFolderDto(await this.sources.get(p, id));
  }

  @ApiOk(FolderResponse)
  @Patch(':folder_id')
  async update(
    @Auth() p: Principal,
    @Param('folder_id', folderId()) id: string,
    @Body() dto: UpdateFolderDto,
  ) {
    return toFolderDto(await this.sources.update(p, id, dto));
  }

  @ApiOkSchema({ nullable: true, description: 'null' })
  @Delete(':folder_id')
  async delete(@Auth() p: Principal, @Param('folder_id', folderId()) id: string) {
    await this.sources.delete(p, id);
    return null;
  }

  /** Answers at once with the file `pending`; `GET .../files/:id` or `/v1/jobs` show its ingestion. */
  @ApiOk(FileMetadataResponse)
  @Post(':folder_id/upload')
  @HttpCode(200)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
  })
  async upload(
    @Auth() p: Principal,
    @Param('folder_id', folderId()) id: string,
    @Query() q: UploadQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.sources.get(p, id);
    const upload = await readUploadStream(request, this.files.uploadLimitBytes());
    const result = await this.files.upload(p, id, upload, {
      duplicateHandling: q.duplicate_handling,
      name: q.name,
    });
    if (result.skipped) void reply.header('x-upload-result', 'skipped');
    return toFileDto(result.file);
  }

  @ApiOkSchema({ type: 'array', items: { type: 'string' } }, 'Ids of the agents with the folder')
  @Get(':folder_id/agents')
  agents(@Auth() p: Principal, @Param('folder_id', folderId()) id: string, @Query() q: PageQueryDto) {
    return this.sources.agentIds(p, id, pageRequest(q));
  }

  @ApiOk([PassageResponse])
  @Get(':folder_id/passages')
  async passages(@Auth() p: Principal, @Param('folder_id', folderId()) id: string, @Query() q: PageQueryDto) {
    await this.sources.get(p, id);
    return (await this.filePassages.list(p.organizationId, id, pageRequest(q, { limit: 100 }))).map(
      toPassageDto,
    );
  }

  @ApiOk([FileMetadataResponse])
  @Get(':folder_id/files')
  async listFiles(
    @Auth() p: Principal,
    @Param('folder_id', folderId()) id: string,
    @Query() q: ListFilesQueryDto,
  ) {
    const files = await this.files.list(p, id, pageRequest(q, { limit: 1000 }));
    const contents = q.include_content
      ? await this.files.contentsOf(
          p.organizationId,
          files.map((f) => f.id),
        )
      : undefined;
    return files.map((f) => toFileDto(f, contents ? (contents.get(f.id) ?? null) : undefined));
  }

  @ApiOk(FileMetadataResponse)
  @Get(':folder_id/files/:file_id')
  async getFile(
    @Auth() p: Principal,
    @Param('folder_id', folderId()) id: string,
    @Param('file_id', fileId()) file: string,
    @Query() q: GetFileQueryDto,
  ) {
    const found = await this.files.get(p, id, file);
    return toFileDto(
      found,
      q.include_content ? await this.files.contentOf(p.organizationId, file) : undefined,
    );
  }

  @ApiOkSchema({ nullable: true, description: 'null' })
  @Delete(':folder_id/:file_id')
  async deleteFile(
    @Auth() p: Principal,
    @Param('folder_id', folderId()) id: string,
    @Param('file_id', fileId()) file: string,
  ) {
    await this.files.delete(p, id, file);
    return null;
  }
}
