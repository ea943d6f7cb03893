import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MemoryModule } from '../memory/memory.module';
import { AgentExtensions } from './agent-extensions';
import { AgentEntity, AgentTagEntity } from './agent.entity';
import { AgentsController, TagsController } from './agents.controller';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';
import { BlockAgentsController, CoreMemoryController } from './core-memory.controller';

@Module({
  imports: [TypeOrmModule.forFeature([AgentEntity, AgentTagEntity]), MemoryModule],
  controllers: [AgentsController, TagsController, CoreMemoryController, BlockAgentsController],
  providers: [AgentsRepository, AgentsService, AgentExtensions],
  exports: [AgentsService, AgentsRepository, AgentExtensions],
})
export class AgentsModule {}
