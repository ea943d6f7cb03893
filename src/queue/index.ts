export * from './job-queue';
export { JobQueues, takesJobs, PROCESS_ROLE } from './queues';
export type { ProcessRole } from './queues';
export { QueueModule } from './queue.module';
