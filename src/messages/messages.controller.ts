import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Principal } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import { ApiOk } from '../common/api-response';
import { ApiOkMessages, CompactionResponse } from './dto/letta-message.response';
import { AgentStateResponse } from '../agents/dto/agent.response';
import {
  ListAllMessagesQueryDto,
  ListMessagesQueryDto,
  ResetDto,
  SummarizeDto,
} from './dto/list-messages.dto';
import { MessagesService } from './messages.service';
import { Access } from '../common/auth/access.decorator';

const agentId = () => new IdPipe('agent');

@ApiTags('messages')
@Access('member', { agentScope: 'messages' })
@Controller('agents/:agent_id')
export class AgentMessagesController {
  constructor(private readonly messages: MessagesService) {}

  @ApiOkMessages()
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
      {
        types: q.include_return_message_types,
        includeErr: q.include_err,
        conversationId: q.conversation_id,
      },
    );
  }

  @ApiOk(AgentStateResponse)
  @Patch('reset-messages')
  reset(@Auth() p: Principal, @Param('agent_id', agentId()) id: string, @Body() _dto: ResetDto) {
    return this.messages.reset(p, id);
  }

  @ApiOk(CompactionResponse)
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

  @ApiOkMessages()
  @Get()
  listAll(@Auth() p: Principal, @Query() q: ListAllMessagesQueryDto) {
    return this.messages.listAll(p, pageRequest(q, { order: 'desc', limit: 100 }), {
      types: q.include_return_message_types,
      conversationId: q.conversation_id,
    });
  }

  @ApiOkMessages('The message, as the Letta messages it renders to')
  @Get(':message_id')
  async get(@Auth() p: Principal, @Param('message_id', new IdPipe('message')) id: string) {
    return this.messages.get(p, id);
  }
}
