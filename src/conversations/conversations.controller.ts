import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Injectable,
  Param,
  Patch,
  PipeTransform,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiOk, ApiOkSchema } from '../common/api-response';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { InvalidInputError } from '../common/errors';
import { IdPipe } from '../common/id.pipe';
import { isId } from '../common/ids';
import { pageRequest } from '../common/pagination';
import { MetricsService } from '../observability/metrics.service';
import { toRunRequest } from '../runs/send-message.dto';
import { PING_MS } from '../runs/send.controller';
import { RunStream, StreamChunk } from '../runs/send.service';
import { writeSse } from '../streaming/sse';
import { ApiOkMessages, ApiSse } from '../messages/dto/letta-message.response';
import { ConversationsService } from './conversations.service';
import {
  AgentDirectQueryDto,
  ConversationCompactionDto,
  ConversationMessageDto,
  ConversationMessagesQueryDto,
  ConversationStreamDto,
  CreateConversationDto,
  CreateConversationQueryDto,
  ForkConversationQueryDto,
  ListConversationsQueryDto,
  RecompileConversationQueryDto,
  UpdateConversationDto,
} from './dto/conversation.dto';
import { CompactionResponse, ConversationResponse, LettaResponse } from './dto/conversation.response';
import { toConversationDto } from './conversation.dto';

const conversationId = () => new IdPipe('conv');

/** A thread id: a conversation id, `default` (with `agent_id`), or a bare agent id (deprecated). */
@Injectable()
class ThreadIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (value === 'default') return value;
    if (isId('conv', value) || isId('agent', value)) return value.toLowerCase();
    throw new InvalidInputError(
      `'${String(value)}' is not a valid conversation id (expected 'conv-<uuid4>', or 'default' with agent_id)`,
      'invalid_id',
    );
  }
}

/** Letta's /v1/conversations: thin over ConversationsService. */
@ApiTags('conversations')
@Access('member')
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly metrics: MetricsService,
  ) {}

  @ApiOk(ConversationResponse)
  @Post()
  @HttpCode(200)
  async create(
    @Auth() p: Principal,
    @Query() q: CreateConversationQueryDto,
    @Body() dto: CreateConversationDto,
  ) {
    return toConversationDto(await this.conversations.create(p, q.agent_id.toLowerCase(), dto ?? {}));
  }

  @ApiOk([ConversationResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListConversationsQueryDto) {
    const page = pageRequest(
      { after: q.after, before: q.before, limit: q.limit, order: q.order },
      { limit: 50 },
    );
    const rows = await this.conversations.list(p, q, page);
    return rows.map(toConversationDto);
  }

  @ApiOk(ConversationResponse)
  @Get(':conversation_id')
  async get(@Auth() p: Principal, @Param('conversation_id', conversationId()) id: string) {
    return toConversationDto(await this.conversations.get(p, id));
  }

  @ApiOk(ConversationResponse)
  @Patch(':conversation_id')
  async update(
    @Auth() p: Principal,
    @Param('conversation_id', conversationId()) id: string,
    @Body() dto: UpdateConversationDto,
  ) {
    return toConversationDto(await this.conversations.update(p, id, dto));
  }

  @ApiOkSchema({ nullable: true, description: 'null' })
  @Delete(':conversation_id')
  async delete(@Auth() p: Principal, @Param('conversation_id', conversationId()) id: string) {
    await this.conversations.delete(p, id);
    return null;
  }

  @ApiOkSchema({ type: 'object', additionalProperties: { type: 'string' } }, 'run id → cancelled')
  @Post(':conversation_id/cancel')
  @HttpCode(200)
  async cancel(
    @Auth() p: Principal,
    @Param('conversation_id', new ThreadIdPipe()) id: string,
    @Query() q: AgentDirectQueryDto,
  ) {
    return this.conversations.cancel(p, await this.conversations.thread(p, id, q.agent_id));
  }

  @ApiOk(ConversationResponse)
  @Post(':conversation_id/fork')
  @HttpCode(200)
  async fork(
    @Auth() p: Principal,
    @Param('conversation_id', new ThreadIdPipe()) id: string,
    @Query() q: ForkConversationQueryDto,
  ) {
    const t = await this.conversations.thread(p, id, q.agent_id);
    return toConversationDto(
      await this.conversations.fork(p, t, { hidden: q.hidden, messageId: q.message_id?.toLowerCase() }),
    );
  }

  /** The compiled system prompt, as a JSON string (the client's ConversationRecompileResponse). */
  @ApiOkSchema({ type: 'string' })
  @Post(':conversation_id/recompile')
  @HttpCode(200)
  @Header('content-type', 'application/json; charset=utf-8')
  async recompile(
    @Auth() p: Principal,
    @Param('conversation_id', new ThreadIdPipe()) id: string,
    @Query() q: RecompileConversationQueryDto,
    @Body() dto: ConversationCompactionDto,
  ): Promise<string> {
    const t = await this.conversations.thread(p, id, dto?.agent_id);
    return JSON.stringify(await this.conversations.recompile(p, t, q.dry_run));
  }

  @ApiOk(CompactionResponse)
  @Post(':conversation_id/compact')
  @HttpCode(200)
  async compact(
    @Auth() p: Principal,
    @Param('conversation_id', new ThreadIdPipe()) id: string,
    @Body() dto: ConversationCompactionDto,
  ) {
    return this.conversations.compact(p, await this.conversations.thread(p, id, dto?.agent_id));
  }

  @ApiOkMessages()
  @Get(':conversation_id/messages')
  async messages(
    @Auth() p: Principal,
    @Param('conversation_id', new ThreadIdPipe()) id: string,
    @Query() q: ConversationMessagesQueryDto,
  ) {
    const t = await this.conversations.thread(p, id, q.agent_id);
    return this.conversations.listMessages(p, t, pageRequest(q, { order: 'desc', limit: 100 }), {
      types: q.include_return_message_types,
      includeErr: q.include_err,
      groupId: q.group_id,
    });
  }

  /** A send: Server-Sent Events by default, Letta's LettaResponse with `streaming: false`. */
  @ApiSse(LettaResponse, 'Server-Sent Events; a LettaResponse with streaming: false')
  @Post(':conversation_id/messages')
  @HttpCode(200)
  async send(
    @Auth() p: Principal,
    @Param('conversation_id', new ThreadIdPipe()) id: string,
    @Body() dto: ConversationMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const t = await this.conversations.thread(p, id, dto.agent_id);
    const req = toRunRequest(dto);
    if (dto.streaming === false) return this.conversations.send(p, t, req);
    const stream = await this.conversations.stream(p, t, req);
    await this.write(reply, stream.chunks, dto.include_pings ?? true, stream);
  }

  /** Resumes the conversation's stream (see ConversationsService.resume). */
  @ApiSse()
  @Access('member', { read: true })
  @Post(':conversation_id/stream')
  @HttpCode(200)
  async stream(
    @Auth() p: Principal,
    @Param('conversation_id', new ThreadIdPipe()) id: string,
    @Body() dto: ConversationStreamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const body = dto ?? {};
    const t = await this.conversations.thread(p, id, body.agent_id);
    const chunks = await this.conversations.resume(p, t, {
      runId: body.run_id,
      otid: body.otid,
      startingAfter: body.starting_after,
    });
    await this.write(reply, chunks, body.include_pings ?? true);
  }

  private async write(
    reply: FastifyReply,
    chunks: AsyncIterable<StreamChunk>,
    pings: boolean,
    run?: RunStream,
  ): Promise<void> {
    const closed = this.metrics.streamOpened('sse');
    try {
      await writeSse(reply, chunks, {
        pingMs: pings ? PING_MS : undefined,
        onClientGone: run?.abandon,
        runId: run?.runId,
      });
    } finally {
      closed();
    }
  }
}
