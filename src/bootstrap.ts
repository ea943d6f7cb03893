import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { closeGracefully, closeWithin, exitOnSignals } from './common/graceful-shutdown';
import { AppConfig, ConfigError, loadConfig } from './config/config';
import { checkDependencies } from './config/preflight';
import { startTracing } from './observability/tracing';
import { AgentRunner } from './runs/agent-runner.service';
import { WorkerModule } from './worker.module';

/** The environment, validated; a bad value stops the process (exit 78) with a message naming it. */
export function configOrExit(env: Record<string, string | undefined> = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
}

/** The API process (`npm start`, `engram api`): HTTP, SSE and WebSocket on one port. */
export async function startApi(config: AppConfig): Promise<void> {
  const app = await createApp(config);
  const logger = app.get(Logger);
  exitOnSignals(
    () => closeGracefully(app, config.shutdownGraceMs, logger, cutRuns(app.get(AgentRunner), logger)),
    logger,
  );
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  logger.log(`Engram API listening on http://${config.http.host}:${port} (docs at /docs)`);
}

/** The worker process (`npm run start:worker`, `engram worker`): background work, no HTTP server. */
export async function startWorker(config: AppConfig): Promise<void> {
  if (!config.database.url) {
    // The embedded database belongs to the API process, which also runs background work itself.
    console.error(
      'The worker needs DATABASE_URL (and REDIS_URL): without them, `npm start` does its background work.',
    );
    process.exit(78);
  }
  await checkDependencies(config);
  const tracing = startTracing(config, 'engram-worker');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, tracing), {
    bufferLogs: true,
    // A failure at boot is an error for the entry point to report, not a process.abort().
    abortOnError: false,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  exitOnSignals(
    () => closeWithin(app, config.shutdownGraceMs, logger, cutRuns(app.get(AgentRunner), logger)),
    logger,
  );
  await app.init();
  logger.log('Engram worker started');
}

/** At the end of the drain: the runs still executing are cut (they end `cancelled`). */
function cutRuns(runner: AgentRunner, logger: { warn(message: string): void }) {
  return () => {
    const n = runner.cutAll();
    if (n) logger.warn(`Drain time over: cutting ${n} run(s) still executing (they end cancelled)`);
  };
}
