import { Controller, Get, Inject, Optional, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/auth/principal';
import { REDIS_HEALTH, RedisHealth } from './redis.health';
import { VERSION as version } from '../common/version';
import { ApiOk } from '../common/api-response';
import { HealthResponse } from './health.response';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    @Optional() @Inject(REDIS_HEALTH) private readonly redis?: RedisHealth,
  ) {}

  /** Liveness, in Letta's shape. */
  @ApiOk(HealthResponse)
  @Get()
  live() {
    return { status: 'ok', version };
  }

  /**
   * Readiness: the database (and Redis when configured) answer. Down, it is a 503 whose body
   * names what is down (`detail`) next to Terminus' per-dependency report (`info`, `error`).
   */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks = [() => this.db.pingCheck('database', { timeout: 2000 })];
    if (this.redis) checks.push(() => this.redis!.check('redis'));
    try {
      return await this.health.check(checks);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const report = err.getResponse() as HealthCheckResult;
      void reply.status(503);
      return { detail: `Not ready: ${Object.keys(report.error ?? {}).join(', ')} down`, ...report };
    }
  }
}
