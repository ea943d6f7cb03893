import { Controller, Get, Headers, Inject, Res, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/auth/principal';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { bearerMatches, METRICS_UNAUTHORIZED } from './metrics-access';
import { MetricsService } from './metrics.service';

/**
 * `GET /metrics` (no `/v1` prefix) on the API port, in Prometheus text format. Open, or behind
 * `ENGRAM_METRICS_TOKEN`; not mounted at all when `ENGRAM_METRICS_PORT` moves it elsewhere.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const token = this.config.metrics.token;
    if (token && !bearerMatches(authorization, token)) {
      void reply.header('www-authenticate', 'Bearer');
      throw new UnauthorizedException(METRICS_UNAUTHORIZED);
    }
    const { contentType, body } = await this.metrics.render();
    void reply.header('content-type', contentType);
    return body;
  }
}
