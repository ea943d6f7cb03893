import { Controller, Delete, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { PageQueryDto, pageRequest } from '../common/pagination';
import { toBool } from '../common/query-transforms';
import { toJobDto } from './job.entity';
import { JobsService } from './jobs.service';
import { ApiOk } from '../common/api-response';
import { JobResponse } from './dto/job.response';

export class ListJobsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only jobs still created or running' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ description: 'Only the jobs of this folder' })
  @IsOptional()
  @IsString()
  source_id?: string;

  @ApiPropertyOptional({ deprecated: true, description: 'Use order' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  ascending?: boolean;
}

const jobId = () => new IdPipe('job');

/** `/v1/jobs`: the records of background work (file ingestion). */
@ApiTags('jobs')
@Access('member')
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @ApiOk([JobResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListJobsQueryDto) {
    const order = q.order ?? (q.ascending === false ? 'desc' : 'asc');
    const found = await this.jobs.list(
      p,
      { statuses: q.active ? ['created', 'pending', 'running'] : undefined, sourceId: q.source_id },
      pageRequest({ ...q, order }),
    );
    return found.map(toJobDto);
  }

  @ApiOk(JobResponse)
  @Get(':job_id')
  async get(@Auth() p: Principal, @Param('job_id', jobId()) id: string) {
    return toJobDto(await this.jobs.get(p, id));
  }

  @ApiOk(JobResponse)
  @Patch(':job_id/cancel')
  async cancel(@Auth() p: Principal, @Param('job_id', jobId()) id: string) {
    return toJobDto(await this.jobs.cancel(p, id));
  }

  @ApiOk(JobResponse)
  @Delete(':job_id')
  async delete(@Auth() p: Principal, @Param('job_id', jobId()) id: string) {
    return toJobDto(await this.jobs.delete(p, id));
  }
}
