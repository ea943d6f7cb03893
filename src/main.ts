import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';

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
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  console.log(`Engram API listening on http://${config.http.host}:${config.http.port} (docs at /docs)`);
}

void bootstrap();
