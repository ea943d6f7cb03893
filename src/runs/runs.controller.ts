import { ApiOk, ApiOkSchema } from '../common/api-response';
import { ApiOkMessages, ApiSse } from '../messages/dto/letta-message.response';
import {
  ProviderTraceResponse,
  RunResponse,
  RunUsageResponse,
  StepMetricsResponse,
  StepResponse,
  TraceSpanResponse,
} from './run.response';
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiTags, getSchemaPath, ApiExtraModels } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { PageQueryDto, pageRequest } from '../common/pagination';
import {
  FeedbackDto,
  ListRunsQueryDto,
  ListStepsQueryDto,
  RunStreamDto,
  RunStreamQueryDto,
  RunTraceQueryDto,
} from './dto';
import { toRunDto, toStepDto, toStepMetricsDto } from './run.dto';
import { RunsService } from './runs.service';
import { MetricsService } from '../observability/metrics.service';
import { writeSse } from '../streaming/sse';
import { PING_MS } from './send.controller';
import { Access } from '../common/auth/access.decorator';

const runId = () => new IdPipe('run');
const stepId = () => new IdPipe('step');

@ApiTags('runs')
@Access('member')
@Controller('runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly metrics: MetricsService,
  ) {}

  @ApiOk([RunResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListRunsQueryDto) {
    const order = q.order ?? (q.ascending === undefined ? 'desc' : q.ascending ? 'asc' : 'desc');
    const agentIds = [...(q.agent_ids ?? []), ...(q.agent_id ? [q.agent_id] : [])];
    const runs = await this.runs.list(
      p,
      {
        agentIds,
        statuses: q.statuses,
        background: q.background,
        active: q.active,
        stopReason: q.stop_reason,
        conversationId: q.conversation_id,
      },
      pageRequest({ ...q, order }),
    );
    return runs.map(toRunDto);
  }

  @ApiOk(RunResponse)
  @Get(':run_id')
  async get(@Auth() p: Principal, @Param('run_id', runId()) id: string) {
    return toRunDto(await this.runs.get(p, id));
  }

  @ApiOkMessages()
  @Get(':run_id/messages')
  messages(@Auth() p: Principal, @Param('run_id', runId()) id: string, @Query() q: PageQueryDto) {
    return this.runs.messagesOf(p, id, pageRequest(q, { order: 'asc', limit: 100 }));
  }

  @ApiOk(RunUsageResponse)
  @Get(':run_id/usage')
  usage(@Auth() p: Principal, @Param('run_id', runId()) id: string) {
    return this.runs.usage(p, id);
  }

  @ApiOk([StepResponse])
  @Get(':run_id/steps')
  async steps(@Auth() p: Principal, @Param('run_id', runId()) id: string, @Query() q: PageQueryDto) {
    return (await this.runs.steps(p, { runId: id }, pageRequest(q, { order: 'asc' }))).map(toStepDto);
  }

  /** Letta's OTel spans of the run (ClickHouse `otel_traces` rows), rebuilt from its steps. */
  @ApiOk([TraceSpanResponse])
  @Get(':run_id/trace')
  trace(@Auth() p: Principal, @Param('run_id', runId()) id: string, @Query() q: RunTraceQueryDto) {
    return this.runs.runTrace(p, id, q.limit ?? 1000);
  }

  @ApiSse()
  @Access('member', { read: true })
  @Post(':run_id/stream')
  @HttpCode(200)
  async streamPost(
    @Auth() p: Principal,
    @Param('run_id', runId()) id: string,
    @Body() dto: RunStreamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.write(reply, await this.runs.stream(p, id, dto.starting_after ?? 0), id, dto.include_pings);
  }

  @ApiSse()
  @Get(':run_id/stream')
  async streamGet(
    @Auth() p: Principal,
    @Param('run_id', runId()) id: string,
    @Query() q: RunStreamQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.write(reply, await this.runs.stream(p, id, q.starting_after ?? 0), id, q.include_pings);
  }

  private async write(
    reply: FastifyReply,
    chunks: AsyncIterable<unknown>,
    runId: string,
    pings?: boolean | null,
  ) {
    const closed = this.metrics.streamOpened('sse');
    try {
      await writeSse(reply, chunks, { pingMs: pings ? PING_MS : undefined, runId });
    } finally {
      closed();
    }
  }
}

@ApiTags('steps')
@Access('member')
@Controller('steps')
export class StepsController {
  constructor(private readonly runs: RunsService) {}

  @ApiOk([StepResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListStepsQueryDto) {
    const steps = await this.runs.steps(
      p,
      {
        agentId: q.agent_id,
        runId: q.run_id,
        model: q.model,
        feedback: q.feedback,
        hasFeedback: q.has_feedback,
      },
      pageRequest(q),
    );
    return steps.map(toStepDto);
  }

  @ApiOk(StepResponse)
  @Get(':step_id')
  async get(@Auth() p: Principal, @Param('step_id', stepId()) id: string) {
    return toStepDto(await this.runs.step(p, id));
  }

  @ApiOkMessages()
  @Get(':step_id/messages')
  messages(@Auth() p: Principal, @Param('step_id', stepId()) id: string, @Query() q: PageQueryDto) {
    return this.runs.stepMessages(p, id, pageRequest(q, { order: 'asc', limit: 100 }));
  }

  @ApiOk(StepMetricsResponse)
  @Get(':step_id/metrics')
  async metrics(@Auth() p: Principal, @Param('step_id', stepId()) id: string) {
    return toStepMetricsDto(await this.runs.step(p, id));
  }

  /** The step's LLM request and response (Letta's ProviderTrace), or null when none was stored. */
  @ApiExtraModels(ProviderTraceResponse)
  @ApiOkSchema({
    anyOf: [
      { $ref: getSchemaPath(ProviderTraceResponse) },
      { type: 'object', nullable: true, enum: [null], description: 'null: no trace stored' },
    ],
  })
  @Get(':step_id/trace')
  trace(@Auth() p: Principal, @Param('step_id', stepId()) id: string) {
    return this.runs.stepTrace(p, id);
  }

  @ApiOk(StepResponse)
  @Patch(':step_id/feedback')
  async feedback(@Auth() p: Principal, @Param('step_id', stepId()) id: string, @Body() dto: FeedbackDto) {
    return toStepDto(await this.runs.feedback(p, id, dto.feedback ?? null, dto.tags ?? undefined));
  }
}
