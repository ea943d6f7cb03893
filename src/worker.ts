import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { exitOnBootFailure } from './config/boot';
import { loadConfig } from './config/config';
import { checkDependencies } from './config/preflight';
import { WorkerModule } from './worker.module';

/** Background work (file ingestion, async runs) in its own process: no HTTP server. */
async function bootstrap(): Promise<void> {
  const config = loadConfig();
  if (!config.database.url) {
    // The embedded database belongs to the API process, which also runs background work itself.
    console.error(
      'The worker needs DATABASE_URL (and REDIS_URL): without them, `npm start` does its background work.',
    );
    process.exit(78);
  }
  await checkDependencies(config);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.get(Logger).log('Engram worker started');
}

bootstrap().catch((err: unknown) => exitOnBootFailure(err));
