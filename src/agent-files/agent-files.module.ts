import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { MemoryModule } from '../memory/memory.module';
import { SourcesModule } from '../sources/sources.module';
import { ToolsModule } from '../tools/tools.module';
import { AgentFileFoldersService } from './af-folders.service';
import { AgentFileExportService } from './agent-file-export.service';
import { AgentFileImportService } from './agent-file-import.service';
import { AgentFilesController } from './agent-files.controller';
import { AgentFilesRepository } from './agent-files.repository';

/** Letta agent files (.af): export and import; above agents, memory, tools and sources. */
@Module({
  imports: [AgentsModule, MemoryModule, ToolsModule, SourcesModule],
  controllers: [AgentFilesController],
  providers: [AgentFilesRepository, AgentFileExportService, AgentFileImportService, AgentFileFoldersService],
})
export class AgentFilesModule {}
