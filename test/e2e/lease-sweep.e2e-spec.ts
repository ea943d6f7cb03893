import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';
import { RunEntity } from '../../src/runs/run.entity';

const LEASE_MS = 3_000;
const SWEEP_MS = 500;
/** Room for a loaded CI machine: timers fire late, polls take time. */
const SLACK_MS = 3_000;
const leaseEnv = { ENGRAM_RUN_LEASE_MS: String(LEASE_MS), ENGRAM_RUN_SWEEP_MS: String(SWEEP_MS) };
const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const root = join(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (done(v) || Date.now() > deadline) return v;
    await sleep(100);
  }
}

/** The API as its own OS process (`src/main.ts`), so the test can kill -9 it. */
async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ['-r', './bench/register.js', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info', // the "listening on" line is an info log
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start:\n${output}`)), 90_000);
    const onData = (c: Buffer) => {
      output += c.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`child exited with ${code}:\n${output}`)));
  });
  return { child, baseUrl };
}

/**
 * A run whose process dies ends `failed` within lease + sweep interval, found by whichever
 * process lives on, and its agent takes new messages at once. Two real processes on one
 * Postgres and one Redis: the in-process test app, and `src/main.ts` in a child process that
 * the test kills with SIGKILL in the middle of a run.
 */
(shared ? describe : describe.skip)('lease sweeper across processes (e2e)', () => {
  let fake: FakeOpenAiServer;
  let survivor: TestApp;
  let victim: { child: ChildProcess; baseUrl: string } | undefined;
  let dataDir: string;
  let releaseHeld: () => void = () => undefined;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    fake.defaultReply = { content: 'fresh reply' };
    const llm = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseUrl };
    dataDir = mkdtempSync(join(tmpdir(), 'engram-victim-'));
    [survivor, victim] = await Promise.all([
      // The victim takes the queued run (as a worker would); the survivor takes no jobs.
      startTestApp({ ...llm, ...leaseEnv, ENGRAM_PROCESS_JOBS: 'false' }),
      startChild({
        ENGRAM_PROCESS_JOBS: 'true',
        ...llm,
        ...leaseEnv,
        DATABASE_URL: process.env.DATABASE_URL!,
        ENGRAM_MIGRATE_ON_START: 'false',
        REDIS_URL: process.env.REDIS_URL!,
        ENGRAM_REDIS_PREFIX: process.env.ENGRAM_REDIS_PREFIX!,
        ENGRAM_DATA_DIR: dataDir,
        ENGRAM_SECRETS_KEY: 'lease-sweeper-test-secrets-key-0123456789',
      }),
    ]);
    // The child compiles src/ as it loads: on a loaded 2-core box that alone can take a minute.
  }, 120_000);
  afterAll(async () => {
    releaseHeld();
    victim?.child.kill('SIGKILL');
    await survivor.close();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails a run whose process was killed mid-run, releases its agent, and takes new messages', async () => {
    const api = await newTenant(new Api(survivor.baseUrl), 'sweep');
    const onVictim = new Api(victim!.baseUrl, { user_id: api.userId });
    const agent = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body;

    // The victim's LLM call never returns: the run is mid-step when its process dies.
    let reached!: () => void;
    const llmCalled = new Promise<void>((r) => (reached = r));
    fake.enqueue(async () => {
      reached();
      await new Promise<void>((r) => (releaseHeld = r));
      return { content: 'too late' };
    });
    const accepted = await onVictim.post(`/v1/agents/${agent.id}/messages/async`, { input: 'hello' });
    expect(accepted.status).toBe(200);
    const runId = accepted.body.id as string;
    await llmCalled;

    // Alive, the victim renews its lease: two lease periods later the run is still running.
    await sleep(2 * LEASE_MS);
    expect((await api.get(`/v1/runs/${runId}`)).body.status).toBe('running');

    victim!.child.kill('SIGKILL');
    const killedAt = Date.now();
    const run = await until(
      () => api.get(`/v1/runs/${runId}`),
      (r) => r.body.status !== 'running',
      LEASE_MS + SWEEP_MS + 30_000,
    );
    const took = Date.now() - killedAt;
    expect(run.body).toMatchObject({
      status: 'failed',
      stop_reason: 'error',
      metadata: {
        error: { type: 'process_lost', message: expect.stringContaining('stopped before it finished') },
      },
    });
    expect(run.body.completed_at).toEqual(expect.any(String));
    expect(took).toBeLessThan(LEASE_MS + SWEEP_MS + SLACK_MS);

    // The dead run's Redis lock is gone, and the agent answers the next message right away.
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      expect(await redis.get(`${process.env.ENGRAM_REDIS_PREFIX}:lock:agent:${agent.id}`)).toBeNull();
    } finally {
      redis.disconnect();
    }
    const started = Date.now();
    const next = await api.post(`/v1/agents/${agent.id}/messages`, { input: 'are you there?' });
    expect(next.status).toBe(200);
    expect(next.body.stop_reason.stop_reason).toBe('end_turn');
    expect(JSON.stringify(next.body.messages)).toContain('fresh reply');
    expect(Date.now() - started).toBeLessThan(LEASE_MS);
    const agentState = (await api.get(`/v1/agents/${agent.id}`)).body;
    expect(agentState.last_stop_reason).toBe('end_turn');
  });
});

/**
 * A process that restarts within the lease finds the run's lease still valid at boot; its
 * periodic sweep fails the run once the lease lapses. Simulated with a run row whose process
 * "died" just after renewing, so it runs on the embedded database too.
 */
describe('lease sweeper in one process (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAiServer;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    t = await startTestApp({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseUrl, ...leaseEnv });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('fails a run once its lease lapses, not before, and leaves live runs alone', async () => {
    const api = await newTenant(new Api(t.baseUrl), 'sweep-local');
    const agent = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body;
    const runs = t.app.get(DataSource).getRepository(RunEntity);
    const insertedAt = Date.now();
    const orphan = await runs.save(
      runs.create({
        id: `run-${crypto.randomUUID()}`,
        organizationId: api.orgId,
        agentId: agent.id,
        status: 'running',
        background: true,
        leaseExpiresAt: new Date(insertedAt + LEASE_MS),
        createdById: api.userId,
      }),
    );
    const live = await runs.save(
      runs.create({
        id: `run-${crypto.randomUUID()}`,
        organizationId: api.orgId,
        agentId: agent.id,
        status: 'running',
        background: true,
        leaseExpiresAt: new Date(insertedAt + 10 * 60_000),
        createdById: api.userId,
      }),
    );

    await sleep(LEASE_MS / 2);
    expect((await api.get(`/v1/runs/${orphan.id}`)).body.status).toBe('running');
    const failed = await until(
      () => api.get(`/v1/runs/${orphan.id}`),
      (r) => r.body.status !== 'running',
      LEASE_MS + SWEEP_MS + 30_000,
    );
    expect(failed.body).toMatchObject({ status: 'failed', stop_reason: 'error' });
    expect(Date.now() - insertedAt).toBeLessThan(LEASE_MS + SWEEP_MS + SLACK_MS);
    expect((await api.get(`/v1/runs/${live.id}`)).body.status).toBe('running');
    expect((await api.get(`/v1/agents/${agent.id}`)).body.last_stop_reason).toBe('error');
    await runs.update({ id: live.id }, { status: 'cancelled' });
  });
});
