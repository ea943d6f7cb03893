import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import { ArchivalModule } from '../archival';
import { MemoryModule } from '../memory/memory.module';
import { MessagesModule } from '../messages/messages.module';
import { ToolsModule } from '../tools/tools.module';
import { AgentLocks } from './agent-locks';
import { AgentRunner } from './agent-runner.service';
import { LeaseSweeper } from './lease-sweeper';
import { RunContextRepository } from './run-context.repository';
import { RunCallbacks } from './run-callbacks';
import { RunQueue } from './run-queue';
import { RunEntity } from './run.entity';
import { ProviderTraceEntity } from './provider-trace.entity';
import { ProviderTracesRepository } from './provider-traces.repository';
import { RunsController, StepsController } from './runs.controller';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';
import { SendController } from './send.controller';
import { SendService } from './send.service';
import { WsRunSource } from './ws-run-source';

/**
 * Runs: sending messages, executing the agent loop (here or as `runs` queue jobs), cancel,
 * runs and steps. Uses the message store (MessagesModule) and the event bus (StreamingModule,
 * global); neither knows about runs.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([RunEntity, ProviderTraceEntity]),
    AgentsModule,
    MemoryModule,
    ToolsModule,
    ArchivalModule,
    MessagesModule,
  ],
  controllers: [SendController, RunsController, StepsController],
  providers: [
    RunsRepository,
    ProviderTracesRepository,
    RunContextRepository,
    RunsService,
    SendService,
    RunQueue,
    RunCallbacks,
    AgentLocks,
    AgentRunner,
    LeaseSweeper,
    WsRunSource,
  ],
  exports: [AgentRunner, RunsRepository, RunsService, SendService],
})
export class RunsModule {}
