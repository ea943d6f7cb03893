import { Injectable } from '@nestjs/common';
import {
  LettaMessageOptions,
  summarizeAgentContext,
  toDefinition,
  toLettaMessageList,
  toLlmMessages,
  uuidIds,
  systemClock,
} from '@engram/agent-runtime';
import { AgentsService } from '../agents/agents.service';
import { Principal } from '../common/auth/principal';
import { NotFoundError } from '../common/errors';
import { ModelsService } from '../models/models.service';
import { ConversationEntity } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import { MessageFilter, MessagePage, MessagesRepository } from './messages.repository';
import { toAgentMessage } from './message.mapper';
import { modelHandle, typeFilter, wireOptions } from './wire';

export { typeFilter };

/** The message store as the API shows it: lists in Letta's rendering, reset, summarize. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly agents: AgentsService,
    private readonly messages: MessagesRepository,
    private readonly models: ModelsService,
    private readonly conversations: ConversationsRepository,
  ) {}

  async list(
    p: Principal,
    agentId: string,
    page: MessagePage,
    wire: Partial<LettaMessageOptions>,
    opts: { types?: string[]; includeErr?: boolean; conversationId?: string },
  ) {
    const agent = await this.agents.get(p, agentId);
    const msgs = await this.messages.list(
      p.organizationId,
      {
        agentId,
        includeErr: opts.includeErr,
        conversation: await this.thread(p, agentId, opts.conversationId),
      },
      page,
    );
    return this.render(msgs, agent.agentType, wire, opts.types);
  }

  /**
   * GET /v1/messages: the organization's messages across agents, in Letta's rendering (each
   * message the way its own agent's type renders it); `conversationId` narrows to one thread.
   */
  async listAll(p: Principal, page: MessagePage, opts: { types?: string[]; conversationId?: string }) {
    let conversation: MessageFilter['conversation'];
    if (opts.conversationId === 'default') conversation = null;
    else if (opts.conversationId) {
      const c = await this.conversations.findById(p.organizationId, opts.conversationId);
      if (!c) throw new NotFoundError('Conversation', opts.conversationId);
      conversation = { id: c.id, inherited: c.inheritedMessageIds };
    }
    const rows = await this.messages.listWithAgents(p.organizationId, { conversation }, page);
    const types = new Map<string, string>();
    for (const id of new Set(rows.map((r) => r.agentId)))
      types.set(id, (await this.agents.get(p, id)).agentType);
    // Consecutive messages of one agent render together (a tool call beside its return).
    const out: ReturnType<MessagesService['render']> = [];
    for (let i = 0; i < rows.length;) {
      let j = i;
      while (j < rows.length && rows[j].agentId === rows[i].agentId) j++;
      const group = rows.slice(i, j).map((r) => r.message);
      out.push(...this.render(group, types.get(rows[i].agentId)!, {}, opts.types));
      i = j;
    }
    return out;
  }

  /**
   * The history filter of one of the agent's threads: `default` is the agent's own (messages of
   * no conversation), a conversation id that conversation's (404 unless it is the agent's).
   */
  private async thread(
    p: Principal,
    agentId: string,
    conversationId?: string,
  ): Promise<MessageFilter['conversation']> {
    if (conversationId === undefined) return undefined;
    if (conversationId === 'default') return null;
    const c = await this.conversations.findById(p.organizationId, conversationId);
    if (!c || c.agentId !== agentId) throw new NotFoundError('Conversation', conversationId);
    return { id: c.id, inherited: c.inheritedMessageIds };
  }

  render(
    msgs: Parameters<typeof toLettaMessageList>[0],
    agentType: string,
    wire: Partial<LettaMessageOptions>,
    types?: string[] | null,
  ) {
    const opts = wireOptions(agentType, {
      useAssistantMessage: wire.useAssistantMessage,
      assistantMessageToolName: wire.assistantMessageToolName,
      assistantMessageToolKwarg: wire.assistantMessageToolKwarg,
    });
    return toLettaMessageList(msgs, opts).filter(typeFilter(types));
  }

  async get(p: Principal, messageId: string) {
    const msg = await this.messages.findById(p.organizationId, messageId);
    if (!msg) throw new NotFoundError('Message', messageId);
    const agent = await this.agents.get(p, msg.agentId);
    // Rendered from the row read above: a second read could find it deleted meanwhile.
    return this.render([toAgentMessage(msg)], agent.agentType, {});
  }

  /** Context back to the system message alone; the history stays stored and searchable. */
  async reset(p: Principal, agentId: string) {
    const agent = await this.agents.get(p, agentId);
    await this.messages.setInContext(p.organizationId, agentId, agent.messageIds.slice(0, 1));
    return this.agents.getState(p, agentId);
  }

  /**
   * POST /summarize: compacts the in-context messages now, with the agent's model; with a
   * conversation, that conversation's (with its model, when it has its own).
   */
  async summarize(p: Principal, agentId: string, conversation?: ConversationEntity) {
    const agent = await this.agents.get(p, agentId);
    const resolved = this.models.resolve(conversation?.model ?? modelHandle(agent));
    const inContext = await this.messages.findInOrder(
      p.organizationId,
      conversation ? conversation.inContextMessageIds : agent.messageIds,
    );
    const result = await summarizeAgentContext({
      agentId,
      inContext,
      systemPrompt: inContext[0] ? (toLlmMessages([inContext[0]])[0]?.content ?? agent.system) : agent.system,
      tools: [] as ReturnType<typeof toDefinition>[],
      llm: resolved.client,
      model: resolved.model,
      contextWindow: conversation?.contextWindowLimit ?? Number(agent.llmConfig.context_window ?? 32_000),
      ids: uuidIds,
      clock: systemClock,
      timezone: agent.timezone,
      store: {
        persistStep: async () => undefined,
        persistCompaction: (input) =>
          this.messages.persistCompaction(p.organizationId, input, conversation?.id),
      },
    });
    // Letta's CompactionResponse; with nothing to cut the context stays as it was.
    return {
      num_messages_before: inContext.length,
      num_messages_after: result.summarized ? result.inContext.length : inContext.length,
      summary: result.summarized ? result.summary : '',
    };
  }
}
