import { Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import { ArchivalModule } from '../archival/archival.module';
import { JobsModule } from '../jobs/jobs.module';
import { JobsService } from '../jobs/jobs.service';
import { ToolExecutors } from '../tools/tool-executors';
import { ToolsModule } from '../tools/tools.module';
import { FileToolsService } from './file-tools.service';
import { AgentFilesService } from './agent-files.service';
import { AgentSourcesController } from './agent-sources.controller';
import { FileAgentEntity, FileContentEntity, FileEntity } from './file.entity';
import { FilePassagesRepository } from './file-passages.repository';
import { FileStorage, PostgresFileStorage } from './file-storage';
import { FilesRepository } from './files.repository';
import { FilesService, IngestionScheduler } from './files.service';
import { QueueIngestionScheduler } from './ingestion/ingestion.queue';
import { IngestionService } from './ingestion/ingestion.service';
import { SourceAgentEntity, SourceEntity } from './source.entity';
import { SourcesController } from './sources.controller';
import { SourcesRepository } from './sources.repository';
import { SourcesService } from './sources.service';

/** Folders, files, their ingestion, and agents' views of them; above agents, archival and jobs. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      SourceEntity,
      SourceAgentEntity,
      FileEntity,
      FileContentEntity,
      FileAgentEntity,
    ]),
    AgentsModule,
    ArchivalModule,
    JobsModule,
    ToolsModule,
  ],
  controllers: [SourcesController, AgentSourcesController],
  providers: [
    SourcesRepository,
    FilesRepository,
    FilePassagesRepository,
    { provide: FileStorage, useClass: PostgresFileStorage },
    SourcesService,
    FilesService,
    AgentFilesService,
    IngestionService,
    FileToolsService,
    QueueIngestionScheduler,
    { provide: IngestionScheduler, useExisting: QueueIngestionScheduler },
  ],
  exports: [SourcesService, FilesService, AgentFilesService, FilePassagesRepository],
})
export class SourcesModule implements OnModuleInit {
  constructor(
    private readonly jobs: JobsService,
    private readonly ingestion: IngestionService,
    private readonly scheduler: QueueIngestionScheduler,
    private readonly executors: ToolExecutors,
    private readonly fileTools: FileToolsService,
  ) {}

  onModuleInit(): void {
    this.executors.register(this.fileTools);
    this.jobs.onCancel('embedding', async (organizationId, job) => {
      const fileId = job.metadata?.file_id;
      await this.scheduler.unschedule(job.id);
      if (typeof fileId === 'string') await this.ingestion.cancelled(organizationId, fileId);
    });
  }
}
