import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { MessagesModule } from '../messages/messages.module';
import { RunsModule } from '../runs/runs.module';
import { SystemPromptModule } from '../system-prompt/system-prompt.module';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';

/**
 * Conversations (Letta's /v1/conversations): threads on an agent. The rows and the context
 * they hold live with the message store (MessagesModule), which the runner reads and writes;
 * this module, above runs, only serves the routes.
 */
@Module({
  imports: [AgentsModule, MessagesModule, RunsModule, SystemPromptModule],
  controllers: [ConversationsController],
  providers: [ConversationsService],
  exports: [ConversationsService],
})
export class ConversationsModule {}
