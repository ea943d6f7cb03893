import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import { ConversationEntity } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import { InitialMessagesExtension } from './initial-messages.extension';
import { MessageEntity } from './message.entity';
import { AgentMessagesController, MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';
import { PendingApprovalExtension } from './pending-approval.extension';
import { StepEntity } from './step.entity';

/**
 * The message store and its Letta rendering: lists, reset, summarize, and the step commit the
 * agent loop calls. Knows nothing of runs (RunsModule uses it, never the other way round).
 */
@Module({
  imports: [TypeOrmModule.forFeature([MessageEntity, StepEntity, ConversationEntity]), AgentsModule],
  controllers: [AgentMessagesController, MessagesController],
  providers: [
    MessagesRepository,
    ConversationsRepository,
    MessagesService,
    InitialMessagesExtension,
    PendingApprovalExtension,
  ],
  exports: [MessagesRepository, ConversationsRepository, MessagesService],
})
export class MessagesModule {}
