/**
 * A process that takes jobs from a Bull queue and never finishes them, so a test can kill -9 it
 * mid-job: `node -r ./bench/register.js test/support/queue-child.ts <redisUrl> <prefix> <queue> <lockMs>`.
 * Prints `took <data.n>` for each job it takes.
 */
import { BullJobQueue } from '../../src/queue/bull-job-queue';

const [redisUrl, prefix, name, lockMs] = process.argv.slice(2);
const queue = new BullJobQueue<{ n: number }>(name, redisUrl, prefix, { lockMs: Number(lockMs) });
queue.process(async (job) => {
  process.stdout.write(`took ${job.data.n}\n`);
  await new Promise(() => undefined);
});
process.stdout.write('ready\n');
