import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { TutorialController } from './tutorial.controller';
import { TutorialService } from './tutorial.service';

/**
 * The tutorial dialect (unversioned `/agents/...`, agents addressed by id or name): an HTTP
 * edge over the agents and conversations services, served by the API process only.
 */
@Module({
  imports: [AgentsModule, ConversationsModule],
  controllers: [TutorialController],
  providers: [TutorialService],
})
export class TutorialModule {}
