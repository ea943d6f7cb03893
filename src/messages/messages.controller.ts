import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import { CancelDto, ListMessagesQueryDto, ResetDto, SummarizeDto } from './dto/list-messages.dto';
import { SendMessageDto, toRunRequest } from './dto/send-message.dto';
import { MessagesService } from './messages.service';
import { Access } from '../common/auth/access.decorator';

const agentId = () => new IdPipe('agent');

@ApiTags('messages')
@Access('member', { agentScope: 'messages' })
@Controller('agents/:agent_id')
export class AgentMessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** Sync by default; `streaming: true` answers with Server-Sent Events like /messages/stream. */
  @Post('messages')
  @HttpCode(200)
  async send(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const req = toRunRequest(dto);
    if (dto.streaming) return this.messages.stream(p, id, req, reply, Boolean(dto.include_pings));
    return this.messages.send(p, id, req);
  }

  @Post('messages/stream')
  @HttpCode(200)
  async stream(
    @Auth() p: Principal,
    @Param('agent_id', agentId()) id: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.messages.stream(p, id, toRunRequest(dto), reply, Boolean(dto.include_pings));
  }

  @Post('messages/async')
  @HttpCode(200)
  sendAsync(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Body() dto: SendMessageDto) {
    return this.messages.sendAsync(p, id, toRunRequest(dto));
  }

  @Get('messages')
  list(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Query() q: ListMessagesQueryDto) {
    return this.messages.list(
      p,
      id,
      pageRequest(q, { order: 'desc', limit: 100 }),
      {
        useAssistantMessage: q.use_assistant_message,
        assistantMessageToolName: q.assistant_message_tool_name,
        assistantMessageToolKwarg: q.assistant_message_tool_kwarg,
      },
      { types: q.include_return_message_types, includeErr: q.include_err },
    );
  }

  @Post('messages/cancel')
  @HttpCode(200)
  cancel(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Body() dto: CancelDto) {
    return this.messages.cancel(p, id, dto.run_ids);
  }

  @Patch('reset-messages')
  reset(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Body() _dto: ResetDto) {
    return this.messages.reset(p, id);
  }

  @Post('summarize')
  @HttpCode(200)
  summarize(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Body() _dto: SummarizeDto) {
    return this.messages.summarize(p, id);
  }
}

@ApiTags('messages')
@Access('member')
@Controller('messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get(':message_id')
  async get(@Auth() p: Principal, @Param('message_id', new IdPipe('message')) id: string) {
    return this.messages.get(p, id);
  }
}
