import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { MemoryModule } from '../memory/memory.module';
import { ToolsModule } from '../tools/tools.module';
import { AgentFileExportService } from './agent-file-export.service';
import { AgentFileImportService } from './agent-file-import.service';
import { AgentFilesController } from './agent-files.controller';
import { AgentFilesRepository } from './agent-files.repository';

/** Letta agent files (.af): export and import; above agents, memory and tools. */
@Module({
  imports: [AgentsModule, MemoryModule, ToolsModule],
  controllers: [AgentFilesController],
  providers: [AgentFilesRepository, AgentFileExportService, AgentFileImportService],
})
export class AgentFilesModule {}
