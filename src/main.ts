import 'reflect-metadata';
import { createApp } from './app.factory';
import { exitOnBootFailure } from './config/boot';
import { AppConfig, loadConfig } from './config/config';

async function bootstrap(config: AppConfig): Promise<void> {
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  console.log(`Engram API listening on http://${config.http.host}:${port} (docs at /docs)`);
}

let config: AppConfig | undefined;
try {
  config = loadConfig();
} catch (err) {
  exitOnBootFailure(err);
}
bootstrap(config).catch((err: unknown) => exitOnBootFailure(err, config?.http.port));
