import { ApiOk, ApiOkSchema } from '../common/api-response';
import { ApiSse, LettaResponse } from '../messages/dto/letta-message.response';
import { RunResponse } from './run.response';
import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { CancelDto } from '../messages/dto/list-messages.dto';
import { MetricsService } from '../observability/metrics.service';
import { writeSse } from '../streaming/sse';
import { SendMessageDto, toRunRequest } from './send-message.dto';
import { RunStream, SendService } from './send.service';

const agentId = () => new IdPipe('agent');
/** Letta's keep-alive period when `include_pings` is set. */
export const PING_MS = 5_000;

@ApiTags('messages')
@Access('member', { agentScope: 'messages' })
@Controller('agents/:agent_id')
export class SendController {
  constructor(
    private readonly sends: SendService,
    private readonly metrics: MetricsService,
  ) {}

  /** Sync by default; `streaming: true` answers with Server-Sent Events like /messages/stream. */
  @ApiSse(LettaResponse, 'A LettaResponse; Server-Sent Events with streaming: true')
  @Post('messages')
  @HttpCode(200)
  async send(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const req = toRunRequest(dto, dto.streaming ? 'stream' : 'sync');
    if (dto.streaming) return this.write(reply, await this.sends.stream(p, id, req), dto.include_pings);
    return this.sends.send(p, id, req);
  }

  @ApiSse()
  @Post('messages/stream')
  @HttpCode(200)
  async stream(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.write(reply, await this.sends.stream(p, id, toRunRequest(dto, 'stream')), dto.include_pings);
  }

  @ApiOk(RunResponse)
  @Post('messages/async')
  @HttpCode(200)
  sendAsync(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Body() dto: SendMessageDto) {
    return this.sends.sendAsync(p, id, toRunRequest(dto, 'async'));
  }

  @ApiOkSchema({ type: 'object', additionalProperties: { type: 'string' } }, 'run id → cancelled')
  @Post('messages/cancel')
  @HttpCode(200)
  cancel(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Body() dto: CancelDto) {
    return this.sends.cancel(p, id, dto.run_ids);
  }

  private async write(reply: FastifyReply, stream: RunStream, pings?: boolean): Promise<void> {
    const closed = this.metrics.streamOpened('sse');
    try {
      await writeSse(reply, stream.chunks, {
        pingMs: pings ? PING_MS : undefined,
        onClientGone: () => stream.abandon(),
        runId: stream.runId,
      });
    } finally {
      closed();
    }
  }
}
