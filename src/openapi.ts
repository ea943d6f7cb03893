import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { API_PREFIX, UNPREFIXED_ROUTES } from './auth/route-table';
import { loadConfig } from './config/config';
import { publicRoute } from './common/url-aliases';
import { VERSION } from './common/version';

/** The OpenAPI document of an application (served at /openapi.json, committed as openapi.json). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Engram')
      .setDescription('Stateful LLM agents over the Letta v1 REST API')
      .setVersion(VERSION)
      .addBearerAuth()
      .build(),
  );
  // The tutorial dialect's routes are documented where clients call them (`/agents/...`).
  doc.paths = Object.fromEntries(
    Object.entries(doc.paths).map(([path, item]) => [publicRoute(path), item]),
  ) as OpenAPIObject['paths'];
  return doc;
}

/**
 * The document without a running server: Nest's preview mode builds the module graph from the
 * decorators alone, so no database, Redis or provider is touched. Used by
 * `npm run openapi` and by the test that keeps the committed file current.
 */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const app = await NestFactory.create(AppModule.forRoot(config), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED_ROUTES });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
