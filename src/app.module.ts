import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { hostname } from 'node:os';
import { LoggerModule } from 'nestjs-pino';
import { AgentFilesModule } from './agent-files/agent-files.module';
import { AgentsModule } from './agents/agents.module';
import { ArchivalModule } from './archival/archival.module';
import { AuthModule } from './auth/auth.module';
import { ErrorFilter } from './common/error.filter';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/config';
import { APP_CONFIG, ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { IdentitiesModule } from './identities/identities.module';
import { McpModule } from './mcp/mcp.module';
import { MemoryModule } from './memory/memory.module';
import { ModelsModule } from './models/models.module';
import { ObservabilityModule } from './observability/observability.module';
import { traceLogFields, Tracing, tracingActive } from './observability/tracing';
import { OrganizationsModule } from './organizations/organizations.module';
import { SystemPromptModule } from './system-prompt/system-prompt.module';
import { ToolsModule } from './tools/tools.module';
import { QueueModule } from './queue/queue.module';
import { RunsModule } from './runs/runs.module';
import { JobsModule } from './jobs/jobs.module';
import { SourcesModule } from './sources/sources.module';
import { MessagesModule } from './messages/messages.module';
import { StreamingModule } from './streaming/streaming.module';
import { WsGatewayModule } from './streaming/ws/ws-gateway.module';
import { OpenAiModule } from './openai/openai.module';
import { SchedulesModule } from './schedules/schedules.module';
import { ConversationsModule } from './conversations/conversations.module';
import { TutorialModule } from './tutorial/tutorial.module';

/** Modules both processes (api and worker) share. */
export const DOMAIN_MODULES = [
  OrganizationsModule,
  ModelsModule,
  MemoryModule,
  AgentsModule,
  IdentitiesModule,
  ToolsModule,
  ArchivalModule,
  McpModule,
  StreamingModule,
  MessagesModule,
  RunsModule,
  OpenAiModule,
  SystemPromptModule,
  AgentFilesModule,
  JobsModule,
  SourcesModule,
  SchedulesModule,
  ConversationsModule,
];

function loggerModule() {
  return LoggerModule.forRootAsync({
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => ({
      forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
      pinoHttp: {
        level: config.logLevel,
        autoLogging: config.env !== 'test',
        // On the root logger, not per request (`customProps` made two more child loggers each).
        base: { pid: process.pid, hostname: hostname(), service: 'engram' },
        redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["sec-websocket-protocol"]'],
        ...logTraceIds(),
      },
    }),
  });
}

/** With tracing on, every log line carries the active trace and span ids. */
export function logTraceIds(): { mixin?: () => Record<string, string> } {
  return tracingActive() ? { mixin: traceLogFields } : {};
}

@Module({})
export class AppModule {
  /** The HTTP app, for `config` (tests and benchmarks pass their own), traced when `tracing` is given. */
  static forRoot(config: AppConfig, tracing?: Tracing): DynamicModule {
    const metrics = config.metrics;
    return {
      module: AppModule,
      imports: [
        ConfigModule.withConfig(config),
        loggerModule(),
        DatabaseModule,
        ObservabilityModule.forRoot({
          metricsRoute: metrics.enabled && metrics.port === undefined,
          metricsPort: metrics.enabled ? metrics.port : undefined,
          tracing,
        }),
        HealthModule,
        QueueModule.forRole('api'),
        ...DOMAIN_MODULES,
        TutorialModule,
        AuthModule,
        WsGatewayModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
