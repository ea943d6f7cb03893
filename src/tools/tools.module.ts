import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import { APP_CONFIG } from '../config/config.module';
import { AgentSecretEntity } from './agent-secret.entity';
import { AgentSecretsRepository } from './agent-secrets.repository';
import { AgentSecretsService } from './agent-secrets.service';
import { AgentToolsController } from './agent-tools.controller';
import { AgentToolsService } from './agent-tools.service';
import { BaseToolsService } from './base-tools.service';
import { createToolSandbox, SandboxToolExecutor, TOOL_SANDBOX } from './sandbox-tool.executor';
import { ToolAgentEntity, ToolEntity } from './tool.entity';
import { ToolExecutors } from './tool-executors';
import { ToolsController } from './tools.controller';
import { ToolsRepository } from './tools.repository';
import { ToolsService } from './tools.service';

@Module({
  imports: [TypeOrmModule.forFeature([ToolEntity, ToolAgentEntity, AgentSecretEntity]), AgentsModule],
  controllers: [ToolsController, AgentToolsController],
  providers: [
    ToolsRepository,
    BaseToolsService,
    ToolExecutors,
    ToolsService,
    AgentToolsService,
    AgentSecretsRepository,
    AgentSecretsService,
    { provide: TOOL_SANDBOX, inject: [APP_CONFIG], useFactory: createToolSandbox },
    SandboxToolExecutor,
  ],
  exports: [ToolsRepository, BaseToolsService, ToolExecutors, ToolsService, AgentSecretsService],
})
export class ToolsModule {}
