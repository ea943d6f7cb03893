import { Injectable } from '@nestjs/common';
import { AgentsService } from '../agents/agents.service';
import type { CreateAgentDto } from '../agents/dto/agent.dto';
import { Principal } from '../common/auth/principal';
import { DomainError } from '../common/errors';
import { PageRequest } from '../common/pagination';
import { toConversationDto } from '../conversations/conversation.dto';
import { ConversationsService, Thread } from '../conversations/conversations.service';
import type { CreateConversationDto } from '../conversations/dto/conversation.dto';
import type { LettaUsageStatistics } from '../messages/dto/letta-message.response';
import { ModelsService } from '../models/models.service';
import type { RunRequest } from '../runs/run-request';
import { SendMessageDto, SendMode, toRunRequest } from '../runs/send-message.dto';
import type { RunStream, StreamChunk } from '../runs/send.service';
import { CreateTutorialAgentDto, TutorialBatchItem } from './dto/tutorial.dto';
import type { TutorialLine } from './dto/tutorial.response';

/** A send as the services take it: the thread, and the run request. */
interface TutorialSend {
  p: Principal;
  thread: Thread;
  req: RunRequest;
}

/** What SendService.send answers (Letta's LettaResponse). */
interface LettaReply {
  messages: Record<string, unknown>[];
  stop_reason: { stop_reason: string };
  usage: Record<string, unknown> & { run_ids: string[] | null };
}

/** A streamed tutorial reply: its lines, and what to do when the client leaves. */
export interface TutorialStream {
  runId: string;
  lines: AsyncIterable<TutorialLine>;
  abandon(): void;
}

/**
 * The tutorial dialect (Letta's older references: `/agents/sam/messages`) as a translation over
 * the services the `/v1` routes use: the agent service (create, read, delete, and which agent a
 * name means), the model service (a bare model name's provider) and the conversations service
 * (threads, and sends into them through the send service). It decides nothing of its own; it
 * reshapes requests and answers.
 */
@Injectable()
export class TutorialService {
  constructor(
    private readonly agents: AgentsService,
    private readonly models: ModelsService,
    private readonly conversations: ConversationsService,
  ) {}

  /** The agent's id: `ref` is an id or a name (404 unknown, 409 a name several agents share). */
  agentId(p: Principal, ref: string): Promise<string> {
    return this.agents.resolveRef(p, ref);
  }

  /** A Letta agent whose `persona` and `human` are its memory blocks, on the named model. */
  async create(p: Principal, dto: CreateTutorialAgentDto) {
    const create: CreateAgentDto = {
      name: dto.name,
      model: await this.models.modelHandle(dto.model),
      memory_blocks: [
        { label: 'persona', value: dto.persona },
        ...(dto.human === undefined ? [] : [{ label: 'human', value: dto.human }]),
      ],
    };
    return this.agents.toState(p, await this.agents.create(p, create));
  }

  list(p: Principal, name: string | undefined, page: PageRequest) {
    return this.agents.listStates(p, name === undefined ? {} : { name }, page);
  }

  async get(p: Principal, ref: string) {
    return this.agents.getState(p, await this.agentId(p, ref));
  }

  async delete(p: Principal, ref: string) {
    const id = await this.agentId(p, ref);
    await this.agents.delete(p, id);
    return { id, deleted: true, message: `Agent ${id} was deleted` };
  }

  /** One message, answered when the run stops: `{content, messages, usage, ...}`. */
  async send(p: Principal, ref: string, message: TutorialBatchItem) {
    return this.reply(await this.prepare(p, await this.agentId(p, ref), message, 'sync'));
  }

  /**
   * One message, streamed: a `content` line per piece of the reply (tokens, as the provider
   * streams them), a `message` line per other Letta message (reasoning, tool calls and returns),
   * an `error` line if the run fails, and a last `done` line with the stop reason and usage.
   */
  async stream(p: Principal, ref: string, message: TutorialBatchItem): Promise<TutorialStream> {
    const { thread, req } = await this.prepare(p, await this.agentId(p, ref), message, 'stream');
    const run = await this.conversations.stream(p, thread, { ...req, streamTokens: true });
    return {
      runId: run.runId,
      lines: toLines(run, thread.conversation?.id ?? null),
      abandon: () => run.abandon(),
    };
  }

  /**
   * Messages sent one after another, in order, each answered as `send` answers. Every item is
   * checked (and its thread found) before the first is sent; a send that fails stops the batch
   * with its error, naming the item and how many were sent before it.
   */
  async batch(p: Principal, ref: string, messages: TutorialBatchItem[]) {
    const agentId = await this.agentId(p, ref);
    const sends: TutorialSend[] = [];
    for (const [i, m] of messages.entries()) sends.push(await this.prepare(p, agentId, m, 'sync', i));
    const replies = [];
    for (const [i, s] of sends.entries()) {
      try {
        replies.push(await this.reply(s));
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        const sent = i === 0 ? 'none was sent' : `messages[0..${i - 1}] were sent`;
        throw new DomainError(err.status, err.code, `messages[${i}]: ${err.message} (${sent})`);
      }
    }
    return replies;
  }

  /** The agent's own thread's messages (Letta messages, newest first by default). */
  async messages(p: Principal, ref: string, page: PageRequest) {
    const agentId = await this.agentId(p, ref);
    return this.conversations.listMessages(p, { agentId, conversation: null }, page, {});
  }

  async listConversations(p: Principal, ref: string, page: PageRequest) {
    const agentId = await this.agentId(p, ref);
    const rows = await this.conversations.list(p, { agent_id: agentId }, page);
    return rows.map(toConversationDto);
  }

  async createConversation(p: Principal, ref: string, dto: CreateConversationDto) {
    const agentId = await this.agentId(p, ref);
    const model = dto.model ? await this.models.modelHandle(dto.model) : dto.model;
    return toConversationDto(await this.conversations.create(p, agentId, { ...dto, model }));
  }

  async conversationMessages(p: Principal, ref: string, conversationId: string, page: PageRequest) {
    const thread = await this.conversations.thread(p, conversationId, await this.agentId(p, ref));
    return this.conversations.listMessages(p, thread, page, {});
  }

  private async prepare(
    p: Principal,
    agentId: string,
    item: TutorialBatchItem,
    mode: SendMode,
    index?: number,
  ): Promise<TutorialSend> {
    const { message, conversation_id } = typeof item === 'string' ? { message: item } : item;
    try {
      const req = toRunRequest({ input: message } as SendMessageDto, mode);
      const thread = conversation_id
        ? await this.conversations.thread(p, conversation_id.toLowerCase(), agentId)
        : { agentId, conversation: null };
      return { p, thread, req };
    } catch (err) {
      if (index === undefined || !(err instanceof DomainError)) throw err;
      throw new DomainError(err.status, err.code, `messages[${index}]: ${err.message} (none was sent)`);
    }
  }

  private async reply({ p, thread, req }: TutorialSend) {
    const res = (await this.conversations.send(p, thread, req)) as unknown as LettaReply;
    return {
      content: replyText(res.messages),
      messages: res.messages,
      usage: res.usage,
      stop_reason: res.stop_reason.stop_reason,
      run_id: res.usage.run_ids?.[0] ?? '',
      conversation_id: thread.conversation?.id ?? null,
    };
  }
}

/** The text of a Letta message's content: a string, or its text parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { type?: string; text?: unknown }) =>
      part?.type === 'text' && typeof part.text === 'string' ? part.text : '',
    )
    .join('');
}

/** The assistant's reply: the text of its assistant messages, joined by blank lines. */
function replyText(messages: Record<string, unknown>[]): string {
  return messages
    .filter((m) => m.message_type === 'assistant_message')
    .map((m) => textOf(m.content))
    .filter(Boolean)
    .join('\n\n');
}

/** A run's stream chunks as the dialect's lines (see TutorialService.stream). */
async function* toLines(run: RunStream, conversationId: string | null): AsyncIterable<TutorialLine> {
  let stopReason: string | null = null;
  let usage: unknown = null;
  try {
    for await (const chunk of run.chunks as AsyncIterable<StreamChunk & { message_type?: string }>) {
      switch (chunk.message_type) {
        case 'assistant_message': {
          const content = textOf(chunk.content);
          if (content) yield { type: 'content', content, message_id: String(chunk.id), seq_id: chunk.seq_id };
          break;
        }
        case 'stop_reason':
          stopReason = String(chunk.stop_reason);
          break;
        case 'usage_statistics': {
          const { seq_id: _seq, ...rest } = chunk;
          usage = rest;
          break;
        }
        case 'error_message':
          yield {
            type: 'error',
            detail: String(chunk.message),
            error_type: String(chunk.error_type),
            run_id: run.runId,
          };
          break;
        case 'ping':
          break;
        default:
          yield { type: 'message', message: chunk, seq_id: chunk.seq_id };
      }
    }
  } catch (err) {
    // The event feed itself failed (not the run: that is an error_message chunk): the client
    // still gets an error line, and the done line after it.
    yield { type: 'error', detail: (err as Error).message, error_type: 'internal_error', run_id: run.runId };
  }
  yield {
    type: 'done',
    stop_reason: stopReason,
    usage: usage as LettaUsageStatistics | null,
    run_id: run.runId,
    conversation_id: conversationId,
  };
}
