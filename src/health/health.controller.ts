import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/auth/principal';
import { REDIS_HEALTH, RedisHealth } from './redis.health';
import { VERSION as version } from '../common/version';

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
  @Get()
  live() {
    return { status: 'ok', version };
  }

  /** Readiness: the database (and Redis when configured) answer. */
  @Get('ready')
  @HealthCheck()
  ready() {
    const checks = [() => this.db.pingCheck('database', { timeout: 2000 })];
    if (this.redis) checks.push(() => this.redis!.check('redis'));
    return this.health.check(checks);
  }
}
