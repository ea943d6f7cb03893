import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiOk } from '../common/api-response';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { CreateScheduleDto, ListSchedulesQueryDto } from './dto/schedule.dto';
import {
  ScheduleCreatedResponse,
  ScheduleDeletedResponse,
  ScheduledMessageResponse,
  ScheduleListResponse,
} from './dto/schedule.response';
import { toScheduledMessageDto } from './scheduled-message.entity';
import { SchedulesService } from './schedules.service';

const agentId = () => new IdPipe('agent');
const scheduleId = () => new IdPipe('scheduled_message');

/** Letta's `/v1/agents/:id/schedule`: messages an agent receives later, once or on a cron. */
@ApiTags('scheduled messages')
@Access('member', { agentScope: 'messages' })
@Controller('agents/:agent_id/schedule')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @ApiOk(ScheduleCreatedResponse)
  @Post()
  @HttpCode(201)
  async create(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Body() dto: CreateScheduleDto,
  ) {
    const row = await this.schedules.create(p, id, dto);
    return { id: row.id, next_scheduled_at: row.nextScheduledAt!.toISOString() };
  }

  @ApiOk(ScheduleListResponse)
  @Get()
  async list(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Query() q: ListSchedulesQueryDto,
  ) {
    const { rows, hasNext } = await this.schedules.list(p, id, { after: q.after, limit: q.limit ?? 50 });
    return { scheduled_messages: rows.map(toScheduledMessageDto), has_next_page: hasNext };
  }

  @ApiOk(ScheduledMessageResponse)
  @Get(':scheduled_message_id')
  async get(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('scheduled_message_id', scheduleId()) scheduledId: string,
  ) {
    return toScheduledMessageDto(await this.schedules.get(p, id, scheduledId));
  }

  @ApiOk(ScheduleDeletedResponse)
  @Delete(':scheduled_message_id')
  async delete(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Param('scheduled_message_id', scheduleId()) scheduledId: string,
  ) {
    await this.schedules.delete(p, id, scheduledId);
    return { success: true as const };
  }
}
