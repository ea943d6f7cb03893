import { Logger } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';

/**
 * An ioredis client that reports an outage once (and the recovery once) instead of an
 * "Unhandled error event" for every reconnect attempt. `role` says which client it is.
 */
export function createRedis(url: string, role: string, options: RedisOptions = {}): Redis {
  const logger = new Logger('Redis');
  const redis = new Redis(url, options);
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn(
      `${role}: Redis is unreachable (${err.message || (err as { code?: string }).code}); retrying`,
    );
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log(`${role}: Redis is reachable again`);
  });
  return redis;
}
