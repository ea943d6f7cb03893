import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import { ArchivalModule } from '../archival';
import { MemoryModule } from '../memory/memory.module';
import { InitialMessagesExtension } from '../messages/initial-messages.extension';
import { MessageEntity } from '../messages/message.entity';
import { AgentMessagesController, MessagesController } from '../messages/messages.controller';
import { MessagesRepository } from '../messages/messages.repository';
import { MessagesService } from '../messages/messages.service';
import { PendingApprovalExtension } from '../messages/pending-approval.extension';
import { RunEvents } from '../streaming/run-events';
import { ToolsModule } from '../tools/tools.module';
import { AgentLocks } from './agent-locks';
import { AgentRunner } from './agent-runner.service';
import { LeaseSweeper } from './lease-sweeper';
import { RunEntity, StepEntity } from './run.entity';
import { RunsController, StepsController } from './runs.controller';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';

/** Messages, runs, steps and their streams: everything that executes or records the agent loop. */
@Module({
  imports: [
    TypeOrmModule.forFeature([MessageEntity, RunEntity, StepEntity]),
    AgentsModule,
    MemoryModule,
    ToolsModule,
    ArchivalModule,
  ],
  controllers: [AgentMessagesController, MessagesController, RunsController, StepsController],
  providers: [
    MessagesRepository,
    MessagesService,
    InitialMessagesExtension,
    PendingApprovalExtension,
    RunsRepository,
    RunsService,
    RunEvents,
    AgentLocks,
    AgentRunner,
    LeaseSweeper,
  ],
  exports: [MessagesRepository, AgentRunner, RunsRepository],
})
export class RunsModule {}
