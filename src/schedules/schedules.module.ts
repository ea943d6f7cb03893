import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import { RunsModule } from '../runs/runs.module';
import { ScheduledMessageEntity } from './scheduled-message.entity';
import { SchedulesController } from './schedules.controller';
import { SchedulesService } from './schedules.service';

/** Scheduled messages; sits above runs (a firing is an async run) and uses the job queues. */
@Module({
  imports: [TypeOrmModule.forFeature([ScheduledMessageEntity]), AgentsModule, RunsModule],
  controllers: [SchedulesController],
  providers: [SchedulesService],
})
export class SchedulesModule {}
