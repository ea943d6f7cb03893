import { DynamicModule, Global, Module } from '@nestjs/common';
import { JobQueues, PROCESS_ROLE, ProcessRole } from './queues';

/** The job queues (Bull with REDIS_URL, in-process without), global: any domain may enqueue. */
@Global()
@Module({})
export class QueueModule {
  static forRole(role: ProcessRole): DynamicModule {
    return {
      module: QueueModule,
      providers: [{ provide: PROCESS_ROLE, useValue: role }, JobQueues],
      exports: [JobQueues],
    };
  }
}
