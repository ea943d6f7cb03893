import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module';
import { AppConfig, loadConfig } from './config/config';
import { checkDependencies } from './config/preflight';
import { installInputChecks } from './common/http-edge';
import { VERSION as version } from './common/version';

/**
 * Builds the HTTP application exactly as production runs it; tests and benchmarks call this
 * too, so what they measure is what ships.
 */
export async function createApp(config: AppConfig = loadConfig()): Promise<NestFastifyApplication> {
  await checkDependencies(config);
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && given.length <= 200 ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    // A failure at boot is an error for the caller to report, not a process.abort().
    abortOnError: false,
    // Our JSON parser (installInputChecks) replaces Nest's: it bounds nesting and refuses NULs.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix('v1');
  app.enableCors({ origin: true, credentials: true });
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  installInputChecks(fastify);
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Engram')
      .setDescription('Stateful LLM agents over the Letta v1 REST API')
      .setVersion(version)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', useGlobalPrefix: false });
  return app;
}
