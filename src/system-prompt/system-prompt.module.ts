import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { ArchivalModule } from '../archival';
import { MemoryModule } from '../memory/memory.module';
import { ToolsModule } from '../tools/tools.module';
import { SystemPromptController } from './system-prompt.controller';
import { SystemPromptService } from './system-prompt.service';

/** The compiled system prompt of an agent (recompile); above agents, memory, tools and archival. */
@Module({
  imports: [AgentsModule, MemoryModule, ToolsModule, ArchivalModule],
  controllers: [SystemPromptController],
  providers: [SystemPromptService],
  exports: [SystemPromptService],
})
export class SystemPromptModule {}
