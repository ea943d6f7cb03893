import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadConfig } from './config/config';
import { WorkerModule } from './worker.module';

/** Background work (file ingestion, async runs) in its own process: no HTTP server. */
async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  if (!config.database.url) {
    // The embedded database belongs to the API process, which also runs background work itself.
    console.error(
      'The worker needs DATABASE_URL (and REDIS_URL): without them, `npm start` does its background work.',
    );
    process.exit(78);
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.get(Logger).log('Engram worker started');
}

void bootstrap();
