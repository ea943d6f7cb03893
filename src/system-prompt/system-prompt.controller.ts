import { Controller, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { toBool } from '../common/query-transforms';
import { SystemPromptService } from './system-prompt.service';

export class RecompileQueryDto {
  @ApiPropertyOptional({ default: false }) @IsOptional() @Transform(toBool) @IsBoolean() dry_run?: boolean;
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  update_timestamp?: boolean;
}

@ApiTags('agents')
@Access('member')
@Controller('agents/:agent_id')
export class SystemPromptController {
  constructor(private readonly prompts: SystemPromptService) {}

  /** The compiled system prompt, as a JSON string (the client's AgentRecompileResponse). */
  @Post('recompile')
  @HttpCode(200)
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiOkResponse({ schema: { type: 'string' } })
  async recompile(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Query() q: RecompileQueryDto,
  ): Promise<string> {
    const text = await this.prompts.recompile(p, agentId, {
      dryRun: q.dry_run,
      updateTimestamp: q.update_timestamp,
    });
    return JSON.stringify(text);
  }
}
