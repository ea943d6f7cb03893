import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiOk } from '../common/api-response';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { MetricsService } from '../observability/metrics.service';
import { writeSse } from '../streaming/sse';
import { ChatCompletionRequestDto } from './chat-completion.dto';
import { ChatCompletionResponse } from './chat-completion.response';
import { OpenAiService } from './openai.service';

/** `POST /v1/chat/completions` (also `/openai/v1/chat/completions`, rewritten at the edge). */
@ApiTags('openai')
@Access('member')
@Controller('chat')
export class OpenAiController {
  constructor(
    private readonly openai: OpenAiService,
    private readonly metrics: MetricsService,
  ) {}

  @ApiOk(
    ChatCompletionResponse,
    'A ChatCompletion, or with `stream: true` ChatCompletionChunk events ending in [DONE]',
  )
  @Post('completions')
  @HttpCode(200)
  async complete(
    @Auth() p: Principal,
    @Body() dto: ChatCompletionRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (!dto.stream) return this.openai.complete(p, dto);
    const stream = await this.openai.stream(p, dto);
    const closed = this.metrics.streamOpened('sse');
    try {
      await writeSse(reply, stream.chunks, { onClientGone: () => stream.abandon() });
    } finally {
      closed();
    }
  }
}
