import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import { MemoryModule } from '../memory/memory.module';
import { AgentIdentitiesController, IdentitiesController } from './identities.controller';
import { IdentitiesRepository } from './identities.repository';
import { IdentitiesService } from './identities.service';
import { IdentityAgentEntity, IdentityBlockEntity, IdentityEntity } from './identity.entity';

/** `/v1/identities` and the agent's `identities`; sits above agents and memory. */
@Module({
  imports: [
    TypeOrmModule.forFeature([IdentityEntity, IdentityAgentEntity, IdentityBlockEntity]),
    AgentsModule,
    MemoryModule,
  ],
  controllers: [IdentitiesController, AgentIdentitiesController],
  providers: [IdentitiesRepository, IdentitiesService],
  exports: [IdentitiesService],
})
export class IdentitiesModule {}
