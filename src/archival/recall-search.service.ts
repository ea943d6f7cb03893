import { Injectable, Logger } from '@nestjs/common';
import {
  AgentMessage,
  DEFAULT_LETTA_MESSAGE_OPTIONS,
  isMemgptStyle,
  RecallPort,
  RecallSearchOptions,
  toLettaMessages,
} from '@engram/agent-runtime';
import { Principal } from '../common/auth/principal';
import { InvalidInputError, NotFoundError } from '../common/errors';
import { isId } from '../common/ids';
import { checkQuery } from './archival-memory.service';
import { EmbeddingsService } from './embeddings.service';
import { Fused, fuse, legDepth } from './hybrid';
import { MessageRow, RankedMessage, RecallRepository } from './recall.repository';

export type SearchMode = 'vector' | 'fts' | 'hybrid';

export interface RecallQuery {
  agentId?: string | null;
  query?: string;
  mode?: SearchMode;
  roles?: string[];
  excludeToolReturnsOf?: string[];
  start?: Date;
  end?: Date;
  limit: number;
}

export type MessageHit = Fused<RankedMessage>;

/** Messages embedded per batch, and at most per search (older ones get embedded by later searches). */
const EMBED_BATCH = 256;
const EMBED_MAX_PER_CALL = 4096;
/** Tools whose returns are search results, not conversation: `conversation_search` skips them. */
const SELF_SEARCH_TOOLS = ['conversation_search', 'archival_memory_search'];

/** The stored row as the agent runtime's message. */
export function rowToAgentMessage(r: MessageRow): AgentMessage {
  const content = Array.isArray(r.content) && r.content.length ? (r.content as AgentMessage['content']) : [];
  return {
    id: r.id,
    role: r.role as AgentMessage['role'],
    // text_content is search text (a tool call's is its name and arguments), not a reply: it
    // stands in for content only on rows without tool calls.
    content:
      content.length || !r.text_content || r.tool_calls ? content : [{ type: 'text', text: r.text_content }],
    toolCalls: (r.tool_calls as AgentMessage['toolCalls']) ?? null,
    toolCallId: r.tool_call_id,
    name: r.name,
    toolReturns: (r.tool_returns as AgentMessage['toolReturns']) ?? null,
    approvals: (r.approvals as AgentMessage['approvals']) ?? null,
    runId: r.run_id,
    stepId: r.step_id,
    createdAt: new Date(r.created_at),
    otid: r.otid,
    senderId: r.sender_id,
    isErr: r.is_err,
    model: r.model,
  };
}

const SEARCH_RESULT_TYPES = new Set([
  'system_message',
  'user_message',
  'reasoning_message',
  'assistant_message',
]);

/**
 * Letta's message search results (system/user/reasoning/assistant `...ListResult`s, one stored
 * message may give several), each with the hit's `rrf_score`, `vector_rank` and `fts_rank`.
 */
export function toMessageSearchResults(hit: MessageHit) {
  const row = hit.item.row;
  let wire: Record<string, unknown>[];
  try {
    wire = toLettaMessages(rowToAgentMessage(row), {
      ...DEFAULT_LETTA_MESSAGE_OPTIONS,
      textIsAssistantMessage: !isMemgptStyle(row.agent_type ?? 'letta_v1_agent'),
    }) as unknown as Record<string, unknown>[];
  } catch {
    wire = [
      { message_type: row.role === 'user' ? 'user_message' : 'assistant_message', content: row.text_content },
    ];
  }
  return wire
    .filter((m) => SEARCH_RESULT_TYPES.has(m.message_type as string))
    .map((m) => ({
      message_type: m.message_type,
      message_id: row.id,
      ...(m.message_type === 'reasoning_message' ? { reasoning: m.reasoning } : { content: m.content }),
      agent_id: row.agent_id,
      conversation_id: null,
      created_at: new Date(row.created_at).toISOString(),
      rrf_score: hit.rrfScore,
      vector_rank: hit.vectorRank,
      fts_rank: hit.ftsRank,
    }));
}

/**
 * Recall memory search over the full message history, fused the same way as archival search.
 * Message embeddings are filled lazily: a search first embeds the scope's messages that have
 * text but no vector yet (bounded per call), and `embedMessages` lets the loop do it eagerly.
 */
@Injectable()
export class RecallSearchService {
  private readonly logger = new Logger(RecallSearchService.name);

  constructor(
    private readonly recall: RecallRepository,
    private readonly embeddings: EmbeddingsService,
  ) {}

  async search(p: Principal, q: RecallQuery): Promise<MessageHit[]> {
    if (q.query !== undefined) checkQuery(q.query);
    if (q.start && q.end && q.start > q.end)
      throw new InvalidInputError('start date is after end date', 'invalid_date_range');
    if (q.agentId && !isId('agent', q.agentId))
      throw new InvalidInputError(`'${q.agentId}' is not a valid agent id`, 'invalid_id');
    const agents = await this.recall.agents(p.organizationId, q.agentId ? [q.agentId] : undefined);
    if (q.agentId && agents.length === 0) throw new NotFoundError('Agent', q.agentId);
    if (agents.length === 0) return [];
    const filter = {
      agentIds: q.agentId ? [q.agentId] : undefined,
      roles: q.roles,
      excludeToolReturnsOf: q.excludeToolReturnsOf,
      start: q.start,
      end: q.end,
    };
    if (q.query === undefined) {
      const rows = await this.recall.recent(p.organizationId, filter, q.limit);
      return rows.map((row) => ({
        item: { row, id: row.id, vectorRank: null, ftsRank: null },
        rrfScore: 0,
        vectorRank: null,
        ftsRank: null,
      }));
    }
    const mode = q.mode ?? 'hybrid';
    const legs: { dim: number; vector: number[]; agentIds: string[] }[] = [];
    if (mode !== 'fts') {
      const groups = new Map<string, string[]>();
      for (const a of agents) {
        const h = this.embeddings.handleOf(a.embedding_config, a.embedding);
        groups.set(h, [...(groups.get(h) ?? []), a.id]);
      }
      for (const [handle, agentIds] of groups) {
        await this.embedPending(p.organizationId, agentIds, handle);
        const { dim, vectors } = await this.embeddings.embed(handle, [q.query]);
        legs.push({ dim, vector: vectors[0], agentIds });
      }
    }
    const candidates = await this.recall.hybrid(
      p.organizationId,
      filter,
      (params) =>
        legs.map((l) => ({
          dim: l.dim,
          vector: l.vector,
          scope: legs.length === 1 ? 'true' : `t.agent_id = ANY(${params.add(l.agentIds)}::text[])`,
        })),
      mode === 'vector' ? null : q.query,
      legDepth(q.limit),
    );
    return fuse(candidates, q.limit);
  }

  /**
   * Embeds an agent's messages that have none yet. The loop may call this after persisting a
   * step (fire and forget); searches call it anyway, so skipping it only costs search latency.
   */
  async embedMessages(p: Principal, agentId: string): Promise<number> {
    const [agent] = await this.recall.agents(p.organizationId, [agentId]);
    if (!agent) return 0;
    return this.embedPending(
      p.organizationId,
      [agentId],
      this.embeddings.handleOf(agent.embedding_config, agent.embedding),
    );
  }

  /** The agent runtime's RecallPort (`conversation_search`) for one agent. */
  portFor(p: Principal, agentId: string): RecallPort {
    return {
      search: async (query: string | undefined, opts: RecallSearchOptions) => {
        const hits = await this.search(p, {
          agentId,
          query: query?.trim() ? query : undefined,
          roles: opts.roles?.length ? opts.roles : ['user', 'assistant', 'tool'],
          // Earlier search results would come back inside every later search, each time larger.
          excludeToolReturnsOf: SELF_SEARCH_TOOLS,
          start: opts.startDate,
          end: opts.endDate,
          limit: Math.min(Math.max(opts.limit, 1), 100),
        });
        return hits.map((h) => rowToAgentMessage(h.item.row));
      },
      count: () => this.recall.count(p.organizationId, agentId),
    };
  }

  private async embedPending(organizationId: string, agentIds: string[], handle: string): Promise<number> {
    let done = 0;
    while (done < EMBED_MAX_PER_CALL) {
      const batch = await this.recall.unembedded(organizationId, agentIds, EMBED_BATCH);
      if (batch.length === 0) break;
      const { vectors } = await this.embeddings.embed(
        handle,
        batch.map((m) => m.text_content),
      );
      await this.recall.setEmbeddings(
        organizationId,
        batch.map((m) => m.id),
        vectors,
      );
      done += batch.length;
      if (batch.length < EMBED_BATCH) break;
    }
    if (done >= EMBED_MAX_PER_CALL)
      this.logger.debug(`embedded ${done} messages; more remain for later searches`);
    return done;
  }
}
