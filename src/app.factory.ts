import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import { API_PREFIX, UNPREFIXED_ROUTES } from './auth/route-table';
import { AppConfig, loadConfig } from './config/config';
import { checkDependencies } from './config/preflight';
import { installInputChecks } from './common/http-edge';
import { aliasUrl, publicRoute } from './common/url-aliases';
import { MetricsService } from './observability/metrics.service';
import { buildOpenApiDocument } from './openapi';
import { nameRequestSpan, requestSpan, startTracing } from './observability/tracing';

/**
 * Builds the HTTP application exactly as production runs it; tests and benchmarks call this
 * too, so what they measure is what ships. With OTEL_EXPORTER_OTLP_ENDPOINT set it also starts
 * tracing, which the application stops when it closes.
 */
export async function createApp(config: AppConfig = loadConfig()): Promise<NestFastifyApplication> {
  await checkDependencies(config);
  const tracing = startTracing(config, 'engram-api');
  try {
    const adapter = new FastifyAdapter({
      bodyLimit: config.http.bodyLimitBytes,
      routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
      // Letta's older paths (/api/..., .../archival) reach the current routes (src/common/url-aliases.ts).
      rewriteUrl: (req: IncomingMessage) => aliasUrl(req.method, req.url ?? '/'),
      // Traced, the request id is the trace id (clients join a trace with `traceparent`).
      genReqId: (req: IncomingMessage) => {
        const traced = requestSpan(req)?.spanContext().traceId;
        if (traced) return traced;
        const given = req.headers['x-request-id'];
        return typeof given === 'string' && given.length <= 200 ? given : randomUUID();
      },
      ...(tracing ? { serverFactory: tracing.serverFactory } : {}),
    });
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot(config, tracing),
      adapter,
      {
        bufferLogs: true,
        // A failure at boot is an error for the caller to report, not a process.abort().
        abortOnError: false,
        // Our JSON parser (installInputChecks) replaces Nest's: it bounds nesting and refuses NULs.
        bodyParser: false,
      },
    );
    app.useLogger(app.get(Logger));
    app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED_ROUTES });
    // Security headers. The CSP allows what the Swagger UI at /docs needs and nothing else.
    await app.register(helmet, {
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        },
      },
    });
    // multipart/form-data uploads (agent-file import), read by the routes that take them
    // (src/common/multipart.ts); a file is bounded like any body.
    await app.register(multipart, {
      limits: {
        fileSize: config.http.bodyLimitBytes,
        files: 2,
        fields: 32,
        fieldSize: 1024 * 1024,
        parts: 40,
      },
    });
    // Browsers may call from ENGRAM_CORS_ORIGINS (Letta's --cors); '*' (the default) reflects any
    // origin. Credentials travel in the Authorization header, never in cookies.
    app.enableCors({
      origin: config.corsOrigins === '*' ? true : config.corsOrigins,
      credentials: true,
      exposedHeaders: [
        'x-request-id',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ],
    });
    // Signals are handled by the entry points (src/bootstrap.ts), which drain HTTP first.
    const fastify = app.getHttpAdapter().getInstance();
    installInputChecks(fastify);
    fastify.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    if (tracing) {
      fastify.addHook('onRequest', (request, _reply, done) => {
        const route = request.routeOptions.url;
        nameRequestSpan(request.raw, request.method, route && publicRoute(route));
        done();
      });
    }
    if (config.metrics.enabled) {
      const metrics = app.get(MetricsService);
      fastify.addHook('onResponse', (request, reply, done) => {
        // The route template keeps the label set small; unknown paths share one label.
        const route = publicRoute(request.routeOptions.url ?? 'unmatched');
        metrics.httpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
        done();
      });
    }
    const document = buildOpenApiDocument(app);
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', useGlobalPrefix: false });
    return app;
  } catch (err) {
    await tracing?.shutdown();
    throw err;
  }
}
