import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BullJobQueue } from '../../src/queue/bull-job-queue';
import { InProcessJobQueue } from '../../src/queue/in-process-job-queue';
import type { Job, JobQueue } from '../../src/queue/job-queue';
import { takesJobs } from '../../src/queue/queues';
import { loadConfig } from '../../src/config/config';

/**
 * The job-queue port against both drivers: in-process always, Bull when REDIS_URL is set (each
 * test on a queue name of its own under the suite's Redis prefix).
 */
const redisUrl = process.env.REDIS_URL;
const prefix = process.env.ENGRAM_REDIS_PREFIX ?? `engram-test-${process.pid}`;
let serial = 0;

type Make = <T extends object>(options?: { lockMs?: number }) => JobQueue<T>;
const drivers: [string, Make][] = [
  ['in-process', <T extends object>() => new InProcessJobQueue<T>(`q${++serial}`)],
];
if (redisUrl) {
  drivers.push([
    'bull',
    <T extends object>(options: { lockMs?: number } = {}) => {
      const name = `q${Date.now()}-${++serial}`;
      return new BullJobQueue<T>(name, redisUrl, prefix, options);
    },
  ]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

describe.each(drivers)('job queue (%s)', (driver, make) => {
  const open: JobQueue<any>[] = [];
  const queue = <T extends object>(options?: { lockMs?: number }) => {
    const q = make<T>(options);
    open.push(q);
    return q;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.close()));
  });

  it('runs an added job with its name, data and id', async () => {
    const q = queue<{ runId: string }>();
    const seen: Job<{ runId: string }>[] = [];
    q.process(async (job) => {
      seen.push(job);
    });
    const id = await q.add('run', { runId: 'run-1' }, { jobId: 'run-1' });
    expect(id).toBe('run-1');
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual({ id: 'run-1', name: 'run', data: { runId: 'run-1' }, attempt: 1 });
  });

  it('adds a job once per id while it waits', async () => {
    const q = queue<{ n: number }>();
    expect(await q.add('x', { n: 1 }, { jobId: 'same' })).toBe('same');
    expect(await q.add('x', { n: 2 }, { jobId: 'same' })).toBe('same');
    expect((await q.counts()).waiting).toBe(1);
    const seen: number[] = [];
    q.process(async (job) => {
      seen.push(job.data.n);
    });
    await until(() => seen.length === 1);
    await sleep(200);
    expect(seen).toEqual([1]);
  });

  it('holds a delayed job back until its time, and removes one on request', async () => {
    const q = queue<{ s: string }>();
    const seen: [string, number][] = [];
    const start = Date.now();
    q.process(async (job) => {
      seen.push([job.data.s, Date.now() - start]);
    });
    await q.add('later', { s: 'kept' }, { delayMs: 600 });
    const dropped = await q.add('later', { s: 'dropped' }, { delayMs: 600, jobId: 'drop-me' });
    expect((await q.counts()).delayed).toBe(2);
    expect(await q.remove(dropped)).toBe(true);
    expect(await q.remove('no-such-job')).toBe(false);
    await sleep(300);
    expect(seen).toEqual([]);
    await until(() => seen.length === 1);
    expect(seen[0][0]).toBe('kept');
    expect(seen[0][1]).toBeGreaterThanOrEqual(550);
    await sleep(300);
    expect(seen.map(([d]) => d)).toEqual(['kept']);
  });

  it('holds a job delayed past the longest Node timer (24.8 days) back too', async () => {
    const q = queue<{ s: string }>();
    const seen: string[] = [];
    q.process(async (job) => {
      seen.push(job.data.s);
    });
    const id = await q.add('much-later', { s: 'in a month' }, { delayMs: 30 * 24 * 3600 * 1000 });
    await sleep(300);
    expect(seen).toEqual([]);
    expect((await q.counts()).delayed).toBe(1);
    expect(await q.remove(id)).toBe(true);
  });

  it('repeats a repeatable job until it is removed', async () => {
    const q = queue<{ s: string }>();
    let runs = 0;
    q.process(async () => {
      runs++;
    });
    await q.add('tick', { s: 'x' }, { jobId: 'ticker', repeatEveryMs: 200 });
    await until(() => runs >= 3);
    await q.removeRepeatable('tick', 'ticker', 200);
    await sleep(300);
    const after = runs;
    await sleep(600);
    expect(runs).toBe(after);
  });

  it('runs no more than `concurrency` jobs at once, and all of them', async () => {
    const q = queue<{ n: number }>();
    let active = 0;
    let most = 0;
    const done: number[] = [];
    q.process(
      async (job) => {
        active++;
        most = Math.max(most, active);
        await sleep(50);
        active--;
        done.push(job.data.n);
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 12; i++) await q.add('work', { n: i });
    await until(() => done.length === 12);
    expect(most).toBe(3);
    expect([...done].sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
  });

  it('retries a failing job up to its attempts, then counts it failed', async () => {
    const q = queue<{ s: string }>();
    const attempts: number[] = [];
    q.process(async (job) => {
      attempts.push(job.attempt);
      if (job.data.s === 'flaky' && job.attempt < 3) throw new Error('not yet');
      if (job.data.s === 'broken') throw new Error('never');
    });
    await q.add('a', { s: 'flaky' }, { attempts: 3, backoffMs: 50 });
    await until(() => attempts.length === 3);
    expect(attempts).toEqual([1, 2, 3]);
    await q.add('b', { s: 'broken' }, { attempts: 2 });
    await until(() => attempts.length === 5);
    const end = Date.now() + 5_000;
    while ((await q.counts()).failed !== 1 && Date.now() < end) await sleep(20);
    expect(await q.counts()).toMatchObject({ failed: 1, active: 0, waiting: 0 });
  });

  it('on close stops taking jobs and waits for the one in flight', async () => {
    const q = make<{ n: number }>();
    let finished = 0;
    let started = 0;
    q.process(async () => {
      started++;
      await sleep(300);
      finished++;
    });
    await q.add('slow', { n: 1 });
    await q.add('slow', { n: 2 });
    await until(() => started === 1);
    await q.close();
    expect(finished).toBe(1);
    await sleep(400);
    expect(started).toBe(1);
  });

  if (driver === 'bull') {
    it('shares jobs between processes, and takes back the job of a worker killed with -9', async () => {
      const name = `shared-${Date.now()}`;
      const child = spawn(
        process.execPath,
        ['-r', './bench/register.js', 'test/support/queue-child.ts', redisUrl!, prefix, name, '1000'],
        { cwd: join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await until(() => out.includes('ready'), 30_000);
        const mine = new BullJobQueue<{ n: number }>(name, redisUrl!, prefix, { lockMs: 1_000 });
        open.push(mine);
        await mine.add('job', { n: 1 }, { jobId: 'stalls' });
        await until(() => out.includes('took 1'), 15_000);
        child.kill('SIGKILL');
        const byMine: number[] = [];
        mine.process(async (job) => {
          byMine.push(job.data.n);
        });
        await mine.add('job', { n: 2 }, { jobId: 'fresh' });
        // The killed child's lock lapses after 1 s; the live process's stalled check takes it back.
        await until(() => byMine.includes(1) && byMine.includes(2), 20_000);
        expect([...byMine].sort()).toEqual([1, 2]);
        expect(out.match(/took/g)).toHaveLength(1);
      } finally {
        child.kill('SIGKILL');
      }
    }, 60_000);
  }
});

describe('which process takes jobs', () => {
  const config = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });
  it('without REDIS_URL the api does (nobody else could), whatever ENGRAM_PROCESS_JOBS says', () => {
    expect(takesJobs(config({}), 'api')).toBe(true);
    expect(takesJobs(config({ ENGRAM_PROCESS_JOBS: 'false' }), 'api')).toBe(true);
  });
  it('with REDIS_URL the worker does and the api does not, unless ENGRAM_PROCESS_JOBS says', () => {
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379/0' };
    expect(takesJobs(config(redis), 'worker')).toBe(true);
    expect(takesJobs(config(redis), 'api')).toBe(false);
    expect(takesJobs(config({ ...redis, ENGRAM_PROCESS_JOBS: 'true' }), 'api')).toBe(true);
    expect(takesJobs(config({ ...redis, ENGRAM_PROCESS_JOBS: 'false' }), 'worker')).toBe(false);
  });
  it('refuses a value of ENGRAM_PROCESS_JOBS that is not a boolean, naming it', () => {
    expect(() => config({ ENGRAM_PROCESS_JOBS: 'sometimes' })).toThrow(/ENGRAM_PROCESS_JOBS/);
  });
});
