import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { toSql } from 'pgvector';
import { DataSource } from 'typeorm';
import { hybridSql, rankOf, SqlParams, VectorLeg } from './hybrid-sql';

/** A stored message as recall search reads it (snake_case columns of `messages`). */
export interface MessageRow {
  id: string;
  organization_id: string;
  agent_id: string;
  role: string;
  content: unknown;
  tool_calls: unknown;
  tool_call_id: string | null;
  name: string | null;
  tool_returns: unknown;
  approvals: unknown;
  run_id: string | null;
  step_id: string | null;
  otid: string | null;
  sender_id: string | null;
  is_err: boolean | null;
  model: string | null;
  /** The owning agent's type: how its assistant text renders (reply or inner thoughts). */
  agent_type?: string | null;
  text_content: string;
  created_at: Date;
}

export interface MessageFilter {
  /** Agents to look in; undefined = every agent of the organization. */
  agentIds?: string[];
  roles?: string[];
  /** Leave out the tool returns of these tools (a search must not find its own earlier results). */
  excludeToolReturnsOf?: string[];
  start?: Date;
  end?: Date;
}

export interface RankedMessage {
  row: MessageRow;
  id: string;
  vectorRank: number | null;
  ftsRank: number | null;
}

const COLUMNS = `t.id, t.organization_id, t.agent_id, t.role, t.content, t.tool_calls, t.tool_call_id, t.name,
  t.tool_returns, t.approvals, t.run_id, t.step_id, t.otid, t.sender_id, t.is_err, t.model, t.text_content, t.created_at,
  (SELECT a.agent_type FROM agents a WHERE a.id = t.agent_id) AS agent_type`;

/**
 * Read side of recall memory over the `messages` table (written by the messages domain), plus
 * the message embeddings this domain owns.
 */
@Injectable()
export class RecallRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Agents of the organization (all, or the given ones) with their embedding config. */
  async agents(
    organizationId: string,
    agentIds?: string[],
  ): Promise<{ id: string; embedding: string | null; embedding_config: Record<string, unknown> | null }[]> {
    return this.ds.query(
      `SELECT id, embedding, embedding_config FROM agents WHERE organization_id = $1 ${agentIds ? 'AND id = ANY($2)' : ''} ORDER BY id`,
      agentIds ? [organizationId, agentIds] : [organizationId],
    );
  }

  /** Messages of these agents that have text but no embedding yet, oldest first. */
  unembedded(
    organizationId: string,
    agentIds: string[],
    limit: number,
  ): Promise<{ id: string; text_content: string }[]> {
    return this.ds.query(
      `SELECT id, text_content FROM messages
       WHERE organization_id = $1 AND agent_id = ANY($2) AND embedding IS NULL AND text_content <> '' AND role <> 'system'
       ORDER BY agent_id, sequence_id LIMIT $3`,
      [organizationId, agentIds, limit],
    );
  }

  async setEmbeddings(organizationId: string, ids: string[], vectors: number[][]): Promise<void> {
    if (ids.length === 0) return;
    await this.ds.query(
      `UPDATE messages m SET embedding = v.e::vector, embedding_dim = v.dim
       FROM (SELECT unnest($2::text[]) AS id, unnest($3::text[]) AS e, unnest($4::int[]) AS dim) v
       WHERE m.organization_id = $1 AND m.id = v.id`,
      [organizationId, ids, vectors.map((v) => toSql(v)), vectors.map((v) => v.length)],
    );
  }

  async hybrid(
    organizationId: string,
    f: MessageFilter,
    legs: (params: SqlParams) => VectorLeg[],
    ftsText: string | null,
    depth: number,
  ): Promise<RankedMessage[]> {
    const params = new SqlParams();
    const where = this.filterSql(organizationId, f, params);
    const sql = hybridSql({
      table: 'messages',
      columns: COLUMNS,
      where,
      params,
      vectorLegs: legs(params),
      ftsText,
      depth,
    });
    const rows: (MessageRow & { vector_rank: unknown; fts_rank: unknown })[] = await this.ds.query(
      sql,
      params.values,
    );
    return rows.map(({ vector_rank, fts_rank, ...row }) => ({
      row,
      id: row.id,
      vectorRank: rankOf(vector_rank),
      ftsRank: rankOf(fts_rank),
    }));
  }

  /** Newest first, for a recall search without a query. */
  async recent(organizationId: string, f: MessageFilter, limit: number): Promise<MessageRow[]> {
    const params = new SqlParams();
    const where = this.filterSql(organizationId, f, params);
    return this.ds.query(
      `SELECT ${COLUMNS} FROM messages t WHERE ${where.join(' AND ')} ORDER BY t.sequence_id DESC LIMIT ${params.add(limit)}`,
      params.values,
    );
  }

  async count(organizationId: string, agentId: string): Promise<number> {
    const rows: { n: string }[] = await this.ds.query(
      `SELECT count(*) AS n FROM messages WHERE organization_id = $1 AND agent_id = $2`,
      [organizationId, agentId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  private filterSql(organizationId: string, f: MessageFilter, p: SqlParams): string[] {
    const where = [`t.organization_id = ${p.add(organizationId)}`];
    if (f.agentIds) where.push(`t.agent_id = ANY(${p.add(f.agentIds)}::text[])`);
    // The system prompt is configuration, not conversation: recall never returns it.
    if (f.roles?.length) where.push(`t.role = ANY(${p.add(f.roles)}::text[])`);
    else where.push(`t.role <> 'system'`);
    if (f.excludeToolReturnsOf?.length) {
      where.push(`NOT (t.role = 'tool' AND t.name = ANY(${p.add(f.excludeToolReturnsOf)}::text[]))`);
    }
    if (f.start) where.push(`t.created_at >= ${p.add(f.start)}`);
    if (f.end) where.push(`t.created_at <= ${p.add(f.end)}`);
    return where;
  }
}
