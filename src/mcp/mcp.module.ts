import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ToolsModule } from '../tools/tools.module';
import { McpClientPool } from './mcp-client.pool';
import { McpServerEntity } from './mcp-server.entity';
import { McpServersController } from './mcp-servers.controller';
import { McpServersRepository } from './mcp-servers.repository';
import { McpServersService } from './mcp-servers.service';
import { McpToolExecutor } from './mcp-tool.executor';
import { loadMcpConfig, MCP_CONFIG } from './mcp.config';

/** MCP servers (`/v1/mcp-servers`), their tools as `external_mcp` tool rows, and the executor that calls them. */
@Module({
  imports: [TypeOrmModule.forFeature([McpServerEntity]), ToolsModule],
  controllers: [McpServersController],
  providers: [
    { provide: MCP_CONFIG, inject: [APP_CONFIG], useFactory: (config: AppConfig) => loadMcpConfig(config) },
    McpServersRepository,
    McpClientPool,
    McpServersService,
    McpToolExecutor,
  ],
  exports: [McpServersService, McpClientPool],
})
export class McpModule {}
