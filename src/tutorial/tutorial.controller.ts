import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Injectable,
  Param,
  PipeTransform,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AgentDeletedResponse, AgentStateResponse } from '../agents/dto/agent.response';
import { ApiOk } from '../common/api-response';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { InvalidInputError } from '../common/errors';
import { pageRequest } from '../common/pagination';
import { TUTORIAL_CONTROLLER } from '../common/url-aliases';
import { CreateConversationDto } from '../conversations/dto/conversation.dto';
import { ConversationResponse } from '../conversations/dto/conversation.response';
import { ApiOkMessages } from '../messages/dto/letta-message.response';
import { MetricsService } from '../observability/metrics.service';
import { writeNdjson } from '../streaming/ndjson';
import {
  CreateTutorialAgentDto,
  ListTutorialAgentsQueryDto,
  THREAD_REF,
  TutorialBatchDto,
  TutorialPageQueryDto,
  TutorialSendDto,
} from './dto/tutorial.dto';
import { ApiTutorialReply, TutorialReplyResponse } from './dto/tutorial.response';
import { TutorialService } from './tutorial.service';

/** `:conversation_id` of a thread route: a conversation of the agent, or `default`. */
@Injectable()
class ThreadRefPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!THREAD_REF.test(value))
      throw new InvalidInputError(
        `'${value}' is not a valid conversation id (expected 'conv-<uuid4>', or 'default' for the agent's own thread)`,
        'invalid_id',
      );
    return value.toLowerCase();
  }
}

/**
 * The tutorial dialect that Letta's older references teach: unversioned `/agents/...`, each
 * agent addressed by its id or its name. Clients call `/agents/...`, which the edge rewrites to
 * this controller's mount (src/common/url-aliases.ts); auth, roles, rate limits and access
 * tokens are those of any route. Thin: each handler is one TutorialService call.
 */
@ApiTags('tutorial')
@Access('member')
@Controller(TUTORIAL_CONTROLLER)
export class TutorialController {
  constructor(
    private readonly tutorial: TutorialService,
    private readonly metrics: MetricsService,
  ) {}

  @ApiOk(AgentStateResponse)
  @Post()
  @HttpCode(200)
  create(@Auth() p: Principal, @Body() dto: CreateTutorialAgentDto) {
    return this.tutorial.create(p, dto);
  }

  @ApiOk([AgentStateResponse])
  @Get()
  list(@Auth() p: Principal, @Query() q: ListTutorialAgentsQueryDto) {
    return this.tutorial.list(p, q.name, pageRequest(q));
  }

  @ApiOk(AgentStateResponse)
  @Get(':agent_id')
  get(@Auth() p: Principal, @Param('agent_id') ref: string) {
    return this.tutorial.get(p, ref);
  }

  @ApiOk(AgentDeletedResponse)
  @Delete(':agent_id')
  delete(@Auth() p: Principal, @Param('agent_id') ref: string) {
    return this.tutorial.delete(p, ref);
  }

  /** The reply as JSON, or with `stream: true` as newline-delimited JSON while it happens. */
  @ApiTutorialReply()
  @Access('member', { agentScope: 'messages' })
  @Post(':agent_id/messages')
  @HttpCode(200)
  async send(
    @Auth() p: Principal,
    @Param('agent_id') ref: string,
    @Body() dto: TutorialSendDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const message = { message: dto.message, conversation_id: dto.conversation_id };
    if (!dto.stream) return this.tutorial.send(p, ref, message);
    const stream = await this.tutorial.stream(p, ref, message);
    const closed = this.metrics.streamOpened('ndjson');
    try {
      await writeNdjson(reply, stream.lines, {
        onClientGone: () => stream.abandon(),
        failure: (err) => ({
          type: 'error',
          detail: err.message,
          error_type: 'internal_error',
          run_id: stream.runId,
        }),
      });
    } finally {
      closed();
    }
  }

  @ApiOk([TutorialReplyResponse])
  @Access('member', { agentScope: 'messages' })
  @Post(':agent_id/batch')
  @HttpCode(200)
  batch(@Auth() p: Principal, @Param('agent_id') ref: string, @Body() dto: TutorialBatchDto) {
    return this.tutorial.batch(p, ref, dto.messages);
  }

  @ApiOkMessages()
  @Access('member', { agentScope: 'messages' })
  @Get(':agent_id/messages')
  messages(@Auth() p: Principal, @Param('agent_id') ref: string, @Query() q: TutorialPageQueryDto) {
    return this.tutorial.messages(p, ref, pageRequest(q, { order: 'desc', limit: 100 }));
  }

  @ApiOk([ConversationResponse])
  @Get(':agent_id/conversations')
  conversations(@Auth() p: Principal, @Param('agent_id') ref: string, @Query() q: TutorialPageQueryDto) {
    return this.tutorial.listConversations(p, ref, pageRequest(q, { limit: 50 }));
  }

  @ApiOk(ConversationResponse)
  @Post(':agent_id/conversations')
  @HttpCode(200)
  createConversation(
    @Auth() p: Principal,
    @Param('agent_id') ref: string,
    @Body() dto: CreateConversationDto,
  ) {
    return this.tutorial.createConversation(p, ref, dto ?? {});
  }

  @ApiOkMessages()
  @Access('member', { agentScope: 'messages' })
  @Get(':agent_id/conversations/:conversation_id/messages')
  conversationMessages(
    @Auth() p: Principal,
    @Param('agent_id') ref: string,
    @Param('conversation_id', new ThreadRefPipe()) conversationId: string,
    @Query() q: TutorialPageQueryDto,
  ) {
    const page = pageRequest(q, { order: 'desc', limit: 100 });
    return this.tutorial.conversationMessages(p, ref, conversationId, page);
  }
}
