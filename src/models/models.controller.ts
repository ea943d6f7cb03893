import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ModelsService } from './models.service';
import { Access } from '../common/auth/access.decorator';
import { ApiOk } from '../common/api-response';
import { EmbeddingModelResponse, ModelResponse } from './models.response';

class ListModelsQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() provider_category?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() provider_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() provider_type?: string;
}

@ApiTags('models')
@Access('member')
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  /** Chat models of every configured provider. */
  @ApiOk([ModelResponse])
  @Get()
  async list(@Query() q: ListModelsQueryDto) {
    const all = await this.models.registry.listLlmModels();
    return all.filter(
      (m) =>
        (!q.provider_name || m.provider_name === q.provider_name) &&
        (!q.provider_type || m.model_endpoint_type === q.provider_type),
    );
  }

  /** Embedding models: the local offline embedder plus those of configured providers. */
  @ApiOk([EmbeddingModelResponse])
  @Get('embedding')
  async embedding() {
    return this.models.listEmbeddingModels();
  }
}
