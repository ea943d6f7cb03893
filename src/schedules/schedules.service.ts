import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { parseExpression } from 'cron-parser';
import { createHash } from 'node:crypto';
import { IsNull, Not, Repository } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import type { Principal } from '../common/auth/principal';
import { DomainError, InvalidInputError, NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { Job, JobQueue, JobQueues } from '../queue';
import { RunsRepository } from '../runs/runs.repository';
import { toRunRequest } from '../runs/send-message.dto';
import { SendService } from '../runs/send.service';
import { CreateScheduleDto } from './dto/schedule.dto';
import { ScheduledMessageEntity, ScheduledRequest, ScheduleType } from './scheduled-message.entity';

export const SCHEDULES_QUEUE = 'schedules';

interface FireJob {
  organizationId: string;
  scheduleId: string;
  /** The firing this job delivers, epoch ms: the row's next_scheduled_at when it was queued. */
  fireAt: number;
}

/** Furthest a one-time message may be scheduled ahead (Postgres and JS dates both hold it). */
const MAX_AHEAD_MS = 100 * 365 * 24 * 3600 * 1000;
/** A one-time time this far in the past is still taken (clock skew, a slow client): it fires now. */
const PAST_GRACE_MS = 60_000;
const FIRE_ATTEMPTS = 5;
/** A firing delivered sooner than this before its time is queued again instead of sent. */
const EARLY_MS = 1000;
const FIRE_BACKOFF_MS = 1000;

/** The run of one firing: its id is derived from the schedule and the time, so a retry finds it. */
export function firingRunId(scheduleId: string, fireAt: number): string {
  const h = createHash('sha1').update(`${scheduleId}@${fireAt}`).digest('hex');
  // Laid out as a UUID (version 5 and RFC 4122 variant bits), like every other run id.
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `run-${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The next time `cron` (5 fields, or 6 with seconds first; UTC) fires strictly after `after`. */
export function nextCronTime(cron: string, after: Date): Date {
  return parseExpression(cron, { currentDate: after, tz: 'UTC' }).next().toDate();
}

/**
 * Scheduled messages (`/v1/agents/:id/schedule`): each firing is a delayed job on the
 * `schedules` queue (Bull with REDIS_URL, in-process without). A firing sends the message as an
 * async run, so it takes its turn behind the agent's other runs. Delivery is at least once (a
 * job is retried, a stalled one redelivered, the jobs re-queued at boot) and made idempotent:
 * the run's id is derived from the schedule and the firing time, and the row's
 * `next_scheduled_at` moves on only from the firing being delivered.
 */
@Injectable()
export class SchedulesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SchedulesService.name);
  private readonly queue: JobQueue<FireJob>;

  constructor(
    @InjectRepository(ScheduledMessageEntity) private readonly repo: Repository<ScheduledMessageEntity>,
    private readonly agents: AgentsService,
    private readonly send: SendService,
    private readonly runs: RunsRepository,
    private readonly queues: JobQueues,
  ) {
    this.queue = queues.get<FireJob>(SCHEDULES_QUEUE);
  }

  /** Takes firings when this process takes jobs, and queues again every pending firing. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.queues.takesJobs) return;
    this.queue.process((job) => this.fire(job), { concurrency: 4 });
    // Jobs already queued keep their ids, so queueing them again is a no-op; this brings back
    // the ones an in-process queue lost with its process, late firings included (they fire now).
    const pending = await this.repo.find({
      where: { nextScheduledAt: Not(IsNull()) },
      select: { id: true, organizationId: true, nextScheduledAt: true },
    });
    for (const s of pending) await this.enqueue(s);
    if (pending.length) this.logger.log(`queued ${pending.length} pending scheduled message(s)`);
  }

  async create(p: Principal, agentId: string, dto: CreateScheduleDto) {
    await this.agents.get(p, agentId);
    if (dto.callback_url !== undefined)
      throw new InvalidInputError('callback_url: not supported for scheduled messages yet');
    const request: ScheduledRequest = { messages: dto.messages };
    if (dto.max_steps !== undefined) request.max_steps = dto.max_steps;
    if (dto.include_return_message_types !== undefined)
      request.include_return_message_types = dto.include_return_message_types;
    this.runRequest(request); // validates the messages as a send would, before anything is stored
    const when = parseSchedule(dto.schedule);
    const row = await this.repo.save(
      this.repo.create({
        id: newId('scheduled_message'),
        organizationId: p.organizationId,
        agentId,
        createdById: p.userId,
        request,
        scheduleType: when.type,
        scheduledAt: when.type === 'one-time' ? when.next : null,
        cronExpression: when.type === 'recurring' ? when.cron : null,
        nextScheduledAt: when.next,
      }),
    );
    await this.enqueue(row);
    return row;
  }

  async list(p: Principal, agentId: string, page: { after?: string; limit: number }) {
    await this.agents.get(p, agentId);
    const qb = this.repo
      .createQueryBuilder('s')
      .where('s.organization_id = :org AND s.agent_id = :agentId', { org: p.organizationId, agentId })
      .orderBy('s.created_at', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .take(page.limit + 1);
    if (page.after !== undefined) {
      const cursor = await this.get(p, agentId, page.after);
      // Against the cursor's stored timestamp: a JS Date would drop its microseconds.
      qb.andWhere(
        '(s.created_at, s.id) > (SELECT c.created_at, c.id FROM scheduled_messages c WHERE c.id = :id)',
        {
          id: cursor.id,
        },
      );
    }
    const rows = await qb.getMany();
    return { rows: rows.slice(0, page.limit), hasNext: rows.length > page.limit };
  }

  async get(p: Principal, agentId: string, id: string): Promise<ScheduledMessageEntity> {
    const row = await this.repo.findOneBy({ id, organizationId: p.organizationId, agentId });
    if (!row) throw new NotFoundError('Scheduled message', id);
    return row;
  }

  async delete(p: Principal, agentId: string, id: string): Promise<void> {
    const row = await this.get(p, agentId, id);
    await this.repo.delete({ id: row.id, organizationId: p.organizationId });
    // The queued firing finds no row and does nothing; removing it only tidies the queue.
    if (row.nextScheduledAt) await this.queue.remove(jobId(row.id, row.nextScheduledAt.getTime()));
  }

  /** Delivers one firing (a job's handler). Safe to run twice for the same firing. */
  async fire(job: Job<FireJob>): Promise<void> {
    const { organizationId, scheduleId, fireAt } = job.data;
    const row = await this.repo.findOneBy({ id: scheduleId, organizationId });
    if (!row || row.nextScheduledAt?.getTime() !== fireAt) return; // deleted, or this firing is done
    // Handed over early: queued again under another id (this one is still active), to wait.
    if (fireAt - Date.now() > EARLY_MS) return this.enqueue(row, `${jobId(row.id, fireAt)}~${Date.now()}`);
    const p: Principal = { organizationId, userId: row.createdById };
    const runId = firingRunId(scheduleId, fireAt);
    if (!(await this.runs.status(organizationId, runId))) {
      try {
        await this.send.sendAsync(p, row.agentId, { ...this.runRequest(row.request), runId });
      } catch (e) {
        // A refusal (the agent's model is gone, its input no longer valid) will not pass on a
        // retry: the firing is skipped and logged, and a recurring schedule goes on.
        if (!(e instanceof DomainError)) throw e;
        this.logger.warn(
          `scheduled message ${scheduleId} at ${new Date(fireAt).toISOString()}: ${e.message}`,
        );
      }
    }
    const next =
      row.scheduleType === 'recurring'
        ? nextCronTime(row.cronExpression!, new Date(Math.max(fireAt, Date.now())))
        : null;
    const moved = await this.repo
      .createQueryBuilder()
      .update()
      .set({
        nextScheduledAt: next,
        lastFiredAt: new Date(fireAt),
        lastRunId: runId,
        fireCount: () => 'fire_count + 1',
      })
      .where('id = :id AND organization_id = :org AND next_scheduled_at = :at', {
        id: scheduleId,
        org: organizationId,
        at: new Date(fireAt),
      })
      .execute();
    if (moved.affected && next) await this.enqueue({ id: scheduleId, organizationId, nextScheduledAt: next });
  }

  private runRequest(r: ScheduledRequest) {
    return toRunRequest(
      {
        messages: r.messages,
        max_steps: r.max_steps,
        include_return_message_types: r.include_return_message_types,
        background: true,
      },
      'async',
    );
  }

  private async enqueue(
    s: Pick<ScheduledMessageEntity, 'id' | 'organizationId' | 'nextScheduledAt'>,
    id = jobId(s.id, s.nextScheduledAt!.getTime()),
  ) {
    const fireAt = s.nextScheduledAt!.getTime();
    await this.queue.add(
      'fire',
      { organizationId: s.organizationId, scheduleId: s.id, fireAt },
      {
        jobId: id,
        delayMs: Math.max(0, fireAt - Date.now()),
        attempts: FIRE_ATTEMPTS,
        backoffMs: FIRE_BACKOFF_MS,
      },
    );
  }
}

function jobId(scheduleId: string, fireAt: number): string {
  return `${scheduleId}@${fireAt}`;
}

type ParsedSchedule = { type: 'one-time'; next: Date } | { type: 'recurring'; cron: string; next: Date };

/** Letta's schedule union, checked: a time ahead (epoch ms), or a cron expression (UTC). */
export function parseSchedule(s: Record<string, unknown>): ParsedSchedule {
  const type = (s.type ?? 'one-time') as ScheduleType;
  const allowed = type === 'recurring' ? ['type', 'cron_expression'] : ['type', 'scheduled_at'];
  const extra = Object.keys(s).filter((k) => !allowed.includes(k));
  if (type !== 'one-time' && type !== 'recurring')
    throw new InvalidInputError("schedule.type must be 'one-time' or 'recurring'");
  if (extra.length) throw new InvalidInputError(`schedule.${extra[0]} is not a field of a ${type} schedule`);
  if (type === 'one-time') {
    const at = s.scheduled_at;
    if (typeof at !== 'number' || !Number.isFinite(at))
      throw new InvalidInputError('schedule.scheduled_at must be a time in epoch milliseconds');
    const now = Date.now();
    if (at < now - PAST_GRACE_MS)
      throw new InvalidInputError(`schedule.scheduled_at ${new Date(at).toISOString()} is in the past`);
    if (at > now + MAX_AHEAD_MS)
      throw new InvalidInputError('schedule.scheduled_at is more than 100 years ahead');
    return { type, next: new Date(Math.max(at, now)) };
  }
  const cron = s.cron_expression;
  const fields = typeof cron === 'string' ? cron.trim().split(/\s+/).length : 0;
  if (typeof cron !== 'string' || (fields !== 5 && fields !== 6))
    throw new InvalidInputError(
      "schedule.cron_expression must be a cron expression of 5 fields (minute hour day month weekday, UTC), e.g. '0 9 * * 1-5', or 6 with seconds first",
    );
  let next: Date;
  try {
    next = nextCronTime(cron.trim(), new Date());
  } catch (e) {
    throw new InvalidInputError(`schedule.cron_expression '${cron}' is not valid: ${(e as Error).message}`);
  }
  return { type, cron: cron.trim(), next };
}
