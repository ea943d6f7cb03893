import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AgentMessage } from '@engram/agent-runtime';
import { DataSource } from 'typeorm';
import { AgentEntity } from '../agents/agent.entity';
import { insertSelectSql } from '../database/insert-sql';
import { camelRow, preparedRead, statementName } from '../database/prepared';
import type { BlockEntity } from '../memory/block.entity';
import { toAgentMessage } from '../messages/message.mapper';
import type { MessageEntity } from '../messages/message.entity';
import { MessagesRepository } from '../messages/messages.repository';
import { ToolEntity } from '../tools/tool.entity';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { asStored, ContextCache } from './context-cache';
import { RunEntity } from './run.entity';

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
 * again before each later step (a tool may have edited memory or archival) — read by the
 * previous step's commit (`promptSelect`), or on their own when that did not.
 */
@Injectable()
export class RunContextRepository {
  private readonly cache: ContextCache;
  /** The agent columns read as they are (`message_ids` only when the cached copy is stale). */
  private readonly agentColumns: string;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.cache = new ContextCache(config.runs.contextCacheMessages);
    this.agentColumns = ds
      .getMetadata(AgentEntity)
      .columns.map((c) => c.databaseName)
      .filter((c) => c !== 'message_ids')
      .map((c) => `a."${c}"`)
      .join(', ');
  }

  /**
   * Starts the run and reads its context, in one statement. The run is either an existing one
   * (`created` → `running` with a fresh lease; `started` false when it was no longer `created`:
   * cancelled while it waited for the agent's lock, or failed by a sweeper) or, with `create`, a
   * new row inserted there only if the agent exists (`started` false when it does not).
   * `context` is null for a missing agent; `run` is the inserted row. `sectionChecks`: SQL
   * booleans over `a` telling whether each prompt section may be non-empty; `withMessages`
   * false for a run in a conversation (which has its own context).
   */
  async startAndLoad(
    organizationId: string,
    agentId: string,
    start: { id: string; leaseExpiresAt: Date } | { create: Partial<RunEntity> },
    sectionChecks: string[],
    withMessages = true,
  ): Promise<{ started: boolean; context: RunContext | null; run?: RunEntity }> {
    // The messages (and their id list) only when this process holds no copy of the version.
    const cached = withMessages ? this.cache.get(organizationId, agentId) : undefined;
    const params: unknown[] = [organizationId, agentId, cached?.version ?? null];
    let starting: string;
    if ('create' in start) {
      const meta = this.ds.getMetadata(RunEntity);
      const from = 'FROM agents WHERE organization_id = $1 AND id = $2';
      starting = insertSelectSql(meta, start.create as Record<string, unknown>, params, from, '*');
    } else {
      params.push(start.id, start.leaseExpiresAt);
      starting = `UPDATE runs SET status = 'running', lease_expires_at = $5, updated_at = now()
        WHERE organization_id = $1 AND id = $4 AND status = 'created' RETURNING id`;
    }
    const fresh = `a.xmin::text IS DISTINCT FROM $3`;
    const messages = withMessages
      ? `CASE WHEN ${fresh} THEN COALESCE((SELECT json_agg(${MessagesRepository.AGENT_MESSAGE_JSON} ORDER BY u.ord)
           FROM unnest(a.message_ids) WITH ORDINALITY AS u(id, ord)
           JOIN messages m ON m.id = u.id AND m.organization_id = a.organization_id), '[]') END`
      : `'[]'::json`;
    const text = `WITH started AS (${starting})
      SELECT s.n AS _started, s.run AS _run, ${this.agentColumns},
        CASE WHEN ${fresh} THEN a.message_ids END AS message_ids, a.xmin::text AS _version,
        COALESCE((SELECT json_agg(t.* ORDER BY ta.position)
           FROM tools_agents ta JOIN tools t ON t.id = ta.tool_id
           WHERE ta.organization_id = a.organization_id AND ta.agent_id = a.id), '[]') AS _tools,
        ${messages} AS _messages,
        ${this.promptSelect(sectionChecks)}
      FROM (SELECT count(*)::int AS n, json_agg(st) -> 0 AS run FROM started st) s
      LEFT JOIN agents a ON a.organization_id = $1 AND a.id = $2`;
    const [row] = await preparedRead<Record<string, unknown>>(
      this.ds,
      statementName('run_context', text),
      text,
      params,
    );
    const run =
      'create' in start && row._run
        ? this.ds.getRepository(RunEntity).create(camelRow(row._run as Record<string, unknown>))
        : undefined;
    delete row._run;
    const { _started, _tools, _messages, _version, ...rest } = row;
    if (!_started || rest.id === null) return { started: Boolean(_started), context: null };
    const prompt = promptInputs(rest, sectionChecks.length);
    const agent = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('_')));
    let inContext: AgentMessage[];
    if (cached && cached.version === _version) {
      agent.message_ids = cached.ids.slice();
      inContext = cached.messages.slice();
    } else {
      inContext = (_messages as Record<string, unknown>[]).map((m) =>
        toAgentMessage(camelRow(m) as unknown as MessageEntity),
      );
      if (withMessages)
        this.cache.set(organizationId, agentId, {
          version: _version as string,
          ids: (agent.message_ids as string[]).slice(),
          messages: inContext.slice(),
        });
    }
    return {
      started: true,
      run,
      context: {
        agent: this.ds.getRepository(AgentEntity).create(camelRow(agent) as Partial<AgentEntity>),
        tools: (_tools as Record<string, unknown>[]).map((t) =>
          this.ds.getRepository(ToolEntity).create(camelRow(t) as Partial<ToolEntity>),
        ),
        inContext,
        prompt,
      },
    };
  }

  /**
   * After a step's commit: the agent's context as the step left it, held under the version the
   * commit gave the row (`pool`: the messages it may hold, the step's own among them). Returns
   * the context, the pool of the next step. A context this process cannot fully build is
   * forgotten, so the next read goes to Postgres.
   */
  rememberStep(
    organizationId: string,
    agentId: string,
    version: string | null,
    pool: AgentMessage[],
    step: { messages: AgentMessage[]; systemMessage?: AgentMessage; inContextMessageIds: string[] },
  ): AgentMessage[] {
    const byId = new Map(pool.map((m) => [m.id, m]));
    for (const m of step.messages) byId.set(m.id, asStored(m));
    if (step.systemMessage) byId.set(step.systemMessage.id, asStored(step.systemMessage));
    const context: AgentMessage[] = [];
    for (const id of step.inContextMessageIds) {
      const m = byId.get(id);
      if (m) context.push(m);
    }
    if (version === null || context.length !== step.inContextMessageIds.length)
      this.cache.delete(organizationId, agentId);
    else
      this.cache.set(organizationId, agentId, {
        version,
        ids: step.inContextMessageIds.slice(),
        messages: context,
      });
    return context;
  }

  async promptInputs(
    organizationId: string,
    agentId: string,
    sectionChecks: string[],
  ): Promise<PromptInputs> {
    const text = `SELECT ${this.promptSelect(sectionChecks)}
      FROM agents a WHERE a.organization_id = $1 AND a.id = $2`;
    const [row] = await preparedRead<Record<string, unknown>>(this.ds, statementName('prompt', text), text, [
      organizationId,
      agentId,
    ]);
    return promptInputs(row ?? {}, sectionChecks.length);
  }

  /**
   * The prompt inputs as a select list over the agent row `a`, for a step's commit to read the
   * next step's inputs in its own statement (`StepExtras.select`); `afterStep` reads them back.
   */
  promptSelect(sectionChecks: string[]): string {
    return [...PROMPT_COLUMNS, ...sectionChecks.map((sql, i) => `(${sql}) AS _section${i}`)].join(',\n');
  }

  /**
   * The prompt inputs a step's commit read with `promptSelect`: its statement did not see the
   * step's own messages, which `inserted` adds to the recall count.
   */
  afterStep(selected: Record<string, unknown>, sectionCount: number, inserted: number): PromptInputs {
    const inputs = promptInputs(selected, sectionCount);
    return { ...inputs, recallCount: inputs.recallCount + inserted };
  }
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
