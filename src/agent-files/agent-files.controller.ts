import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req, StreamableFile } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { readUpload } from '../common/multipart';
import { createValidationPipe } from '../common/validation';
import { AgentFileExportService } from './agent-file-export.service';
import { AgentFileImportService } from './agent-file-import.service';
import { ExportAgentFileQueryDto, ImportAgentFileFieldsDto, importOptions } from './dto/agent-file.dto';
import { ApiOk } from '../common/api-response';
import { AgentFileSchema, ImportedAgentsResponse } from './dto/agent-file.response';

/** Letta agent files (`.af`): `GET /v1/agents/:agent_id/export` and `POST /v1/agents/import`. */
@ApiTags('agents')
@Access('member')
@Controller('agents')
export class AgentFilesController {
  private readonly validation = createValidationPipe();

  constructor(
    private readonly exporter: AgentFileExportService,
    private readonly importer: AgentFileImportService,
  ) {}

  @ApiOk(AgentFileSchema)
  @Get(':agent_id/export')
  async export(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Query() q: ExportAgentFileQueryDto,
  ) {
    const text = await this.exporter.export(p, agentId, {
      scrubMessages: q.scrub_messages,
      conversationId: q.conversation_id,
      useLegacyFormat: q.use_legacy_format,
    });
    return new StreamableFile(Readable.from(text), { type: 'application/json; charset=utf-8' });
  }

  @ApiOk(ImportedAgentsResponse)
  @Post('import')
  @HttpCode(200)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
  })
  async import(
    @Auth() p: Principal,
    @Req() request: FastifyRequest,
    @Headers('x-override-embedding-model') embedding?: string,
    @Headers('x-project-id') projectId?: string,
  ) {
    const upload = await readUpload(request);
    const fields = (await this.validation.transform(upload.fields, {
      type: 'body',
      metatype: ImportAgentFileFieldsDto,
    })) as ImportAgentFileFieldsDto;
    const agentIds = await this.importer.import(
      p,
      upload.file.toString('utf8'),
      importOptions(fields, { embedding, projectId }),
    );
    return { agent_ids: agentIds };
  }
}
