import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import { AgentArchivalController } from './agent-archival.controller';
import { ArchivalMemoryService } from './archival-memory.service';
import { ArchiveAgentEntity, ArchiveEntity } from './archive.entity';
import { ArchivesController } from './archives.controller';
import { ArchivesRepository } from './archives.repository';
import { ArchivesService } from './archives.service';
import { EmbeddingsService } from './embeddings.service';
import { PassageEntity } from './passage.entity';
import { PassagesRepository } from './passages.repository';
import { RecallRepository } from './recall.repository';
import { RecallSearchService } from './recall-search.service';
import { SearchController } from './search.controller';

/**
 * Archival memory (archives, passages, hybrid search) and recall search over messages.
 * Exports the services whose `portFor` gives the agent runtime its ArchivalPort / RecallPort.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ArchiveEntity, ArchiveAgentEntity, PassageEntity]), AgentsModule],
  controllers: [AgentArchivalController, ArchivesController, SearchController],
  providers: [
    EmbeddingsService,
    ArchivesRepository,
    PassagesRepository,
    RecallRepository,
    ArchivalMemoryService,
    ArchivesService,
    RecallSearchService,
  ],
  exports: [ArchivalMemoryService, RecallSearchService, EmbeddingsService],
})
export class ArchivalModule {}
