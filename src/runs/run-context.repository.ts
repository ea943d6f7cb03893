import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { AgentMessage } from '@engram/agent-runtime';
import { DataSource } from 'typeorm';
import { AgentEntity } from '../agents/agent.entity';
import { camelRow, preparedRead } from '../database/prepared';
import type { BlockEntity } from '../memory/block.entity';
import { toAgentMessage } from '../messages/message.mapper';
import type { MessageEntity } from '../messages/message.entity';
import { MessagesRepository } from '../messages/messages.repository';
import { ToolEntity } from '../tools/tool.entity';

/** What the system prompt is compiled from, besides the agent row: re-read before every step. */
export interface PromptInputs {
  blocks: BlockEntity[];
  recallCount: number;
  archivalCount: number;
  archiveTags: string[];
  /** Per prompt-section check (in the order given), whether that section may have content. */
  sections: boolean[];
}

/** Everything a run needs before its first step. */
export interface RunContext {
  agent: AgentEntity;
  tools: ToolEntity[];
  /** The agent's in-context messages in `message_ids` order (unknown ids skipped). */
  inContext: AgentMessage[];
  prompt: PromptInputs;
}

/** Correlated subqueries over the agent row `a`: the prompt's inputs. */
const PROMPT_COLUMNS = [
  `COALESCE((SELECT json_agg(b.* ORDER BY ba.position)
     FROM blocks_agents ba JOIN blocks b ON b.id = ba.block_id
     WHERE ba.agent_id = a.id), '[]') AS _blocks`,
  `(SELECT count(*) FROM messages m
     WHERE m.organization_id = a.organization_id AND m.agent_id = a.id)::int AS _recall_count`,
  `(SELECT count(*) FROM archives_agents aa JOIN passages p
       ON p.archive_id = aa.archive_id AND p.organization_id = a.organization_id
     WHERE aa.organization_id = a.organization_id AND aa.agent_id = a.id)::int AS _archival_count`,
  `COALESCE((SELECT array_agg(DISTINCT tag ORDER BY tag)
     FROM archives_agents aa JOIN passages p
       ON p.archive_id = aa.archive_id AND p.organization_id = a.organization_id,
       unnest(p.tags) AS tag
     WHERE aa.organization_id = a.organization_id AND aa.agent_id = a.id), '{}') AS _archive_tags`,
];

/**
 * The reads of the agent loop, each one prepared statement: the whole context of a run (agent
 * row, tools, in-context messages, prompt inputs) before its first step, and the prompt inputs
 * alone before each later step (a tool may have edited memory or archival).
 */
@Injectable()
export class RunContextRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * `sectionChecks`: SQL booleans over `a` telling whether each prompt section may be
   * non-empty; `withMessages` false for a run in a conversation (which has its own context).
   */
  async load(
    organizationId: string,
    agentId: string,
    sectionChecks: string[],
    withMessages = true,
  ): Promise<RunContext | null> {
    const messages = withMessages
      ? `COALESCE((SELECT json_agg(${MessagesRepository.AGENT_MESSAGE_JSON} ORDER BY u.ord)
           FROM unnest(a.message_ids) WITH ORDINALITY AS u(id, ord)
           JOIN messages m ON m.id = u.id AND m.organization_id = a.organization_id), '[]')`
      : `'[]'::json`;
    const text = `SELECT a.*,
        COALESCE((SELECT json_agg(t.* ORDER BY ta.position)
           FROM tools_agents ta JOIN tools t ON t.id = ta.tool_id
           WHERE ta.organization_id = a.organization_id AND ta.agent_id = a.id), '[]') AS _tools,
        ${messages} AS _messages,
        ${this.promptColumns(sectionChecks)}
      FROM agents a WHERE a.organization_id = $1 AND a.id = $2`;
    const [row] = await preparedRead<Record<string, unknown>>(
      this.ds,
      statementName('run_context', text),
      text,
      [organizationId, agentId],
    );
    if (!row) return null;
    const { _tools, _messages, ...rest } = row;
    const prompt = promptInputs(rest, sectionChecks.length);
    const agent = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('_')));
    return {
      agent: this.ds.getRepository(AgentEntity).create(camelRow(agent) as Partial<AgentEntity>),
      tools: (_tools as Record<string, unknown>[]).map((t) =>
        this.ds.getRepository(ToolEntity).create(camelRow(t) as Partial<ToolEntity>),
      ),
      inContext: (_messages as Record<string, unknown>[]).map((m) =>
        toAgentMessage(camelRow(m) as unknown as MessageEntity),
      ),
      prompt,
    };
  }

  async promptInputs(
    organizationId: string,
    agentId: string,
    sectionChecks: string[],
  ): Promise<PromptInputs> {
    const text = `SELECT ${this.promptColumns(sectionChecks)}
      FROM agents a WHERE a.organization_id = $1 AND a.id = $2`;
    const [row] = await preparedRead<Record<string, unknown>>(this.ds, statementName('prompt', text), text, [
      organizationId,
      agentId,
    ]);
    return promptInputs(row ?? {}, sectionChecks.length);
  }

  private promptColumns(sectionChecks: string[]): string {
    return [...PROMPT_COLUMNS, ...sectionChecks.map((sql, i) => `(${sql}) AS _section${i}`)].join(',\n');
  }
}

function statementName(kind: string, text: string): string {
  return `engram_${kind}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
}

function promptInputs(row: Record<string, unknown>, sections: number): PromptInputs {
  return {
    blocks: ((row._blocks as Record<string, unknown>[] | undefined) ?? []).map(
      (b) => camelRow(b) as unknown as BlockEntity,
    ),
    recallCount: Number(row._recall_count ?? 0),
    archivalCount: Number(row._archival_count ?? 0),
    archiveTags: (row._archive_tags as string[] | undefined) ?? [],
    sections: Array.from({ length: sections }, (_, i) => row[`_section${i}`] !== false),
  };
}
