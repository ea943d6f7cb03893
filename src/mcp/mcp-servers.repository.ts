import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ConflictError } from '../common/errors';
import { newId } from '../common/ids';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { ToolEntity } from '../tools/tool.entity';
import { McpServerEntity } from './mcp-server.entity';

/** A tool as the MCP server offers it, ready to be stored as a tool row. */
export interface McpToolRow {
  name: string;
  description: string;
  jsonSchema: Record<string, unknown>;
}

/** What a sync did, by tool name (Letta's MCPServerResyncResult, plus what Engram kept or skipped). */
export interface McpSyncResult {
  added: string[];
  updated: string[];
  deleted: string[];
  /** Gone from the server but still attached to an agent: kept, so no agent loses a tool silently. */
  kept: string[];
  /** The name already belongs to another tool (custom, or another server's): not overwritten. */
  conflicts: string[];
}

const UNIQUE_VIOLATION = '23505';

/** MCP server rows and the `external_mcp` tool rows that belong to each server. */
@Injectable()
export class McpServersRepository extends TenantRepository<McpServerEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(McpServerEntity));
  }

  list(organizationId: string, page: PageRequest): Promise<McpServerEntity[]> {
    return paginate(this.scoped(organizationId, 's'), 's', page, 'MCP server');
  }

  /** Inserts the server; a name the organization already uses is a 409 (ON CONFLICT, so no failed query). */
  async insert(row: Partial<McpServerEntity>): Promise<McpServerEntity> {
    await this.repo
      .createQueryBuilder()
      .insert()
      .values(row as QueryDeepPartialEntity<McpServerEntity>)
      .orIgnore()
      .execute();
    const created = await this.repo.findOneBy({ organizationId: row.organizationId!, id: row.id! });
    if (!created) throw uniqueName({ code: UNIQUE_VIOLATION }, row.serverName);
    return created;
  }

  /** Updates the server and, on a rename, the server name its tool rows carry (tag and metadata). */
  async update(
    organizationId: string,
    id: string,
    patch: Partial<McpServerEntity>,
  ): Promise<McpServerEntity | null> {
    if (patch.serverName !== undefined) {
      const holder = await this.repo.findOneBy({ organizationId, serverName: patch.serverName });
      if (holder && holder.id !== id) throw uniqueName({ code: UNIQUE_VIOLATION }, patch.serverName);
    }
    try {
      await this.ds.transaction(async (m) => {
        await m.update(
          McpServerEntity,
          { organizationId, id },
          patch as QueryDeepPartialEntity<McpServerEntity>,
        );
        if (patch.serverName !== undefined) {
          await m.query(
            `UPDATE tools
             SET metadata = jsonb_set(metadata, '{mcp,server_name}', to_jsonb($3::text)),
                 tags = array_append(ARRAY(SELECT x FROM unnest(tags) x WHERE x NOT LIKE 'mcp:%'), 'mcp:' || $3::text),
                 updated_at = now()
             WHERE organization_id = $1 AND tool_type = 'external_mcp' AND metadata -> 'mcp' ->> 'server_id' = $2`,
            [organizationId, id, patch.serverName],
          );
        }
      });
    } catch (e) {
      throw uniqueName(e, patch.serverName);
    }
    return this.findById(organizationId, id);
  }

  /** Deletes the server and its tool rows (which detaches them from every agent). */
  async deleteWithTools(organizationId: string, id: string): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      await m.query(
        `DELETE FROM tools WHERE organization_id = $1 AND tool_type = 'external_mcp' AND metadata -> 'mcp' ->> 'server_id' = $2`,
        [organizationId, id],
      );
      const r = await m.delete(McpServerEntity, { organizationId, id });
      return (r.affected ?? 0) > 0;
    });
  }

  toolsOf(organizationId: string, serverId: string): Promise<ToolEntity[]> {
    return this.serverTools(this.ds.manager, organizationId, serverId)
      .orderBy('t.created_at', 'ASC')
      .addOrderBy('t.id', 'ASC')
      .getMany();
  }

  toolOf(organizationId: string, serverId: string, toolId: string): Promise<ToolEntity | null> {
    return this.serverTools(this.ds.manager, organizationId, serverId)
      .andWhere('t.id = :toolId', { toolId })
      .getOne();
  }

  /**
   * Makes the server's tool rows match `tools` (the server's current tools/list), in one short
   * transaction (no MCP traffic inside it): adds new tools, updates changed schemas, deletes
   * vanished tools no agent uses, keeps vanished tools an agent still has attached. The server
   * row is locked so two syncs of one server run one after the other.
   */
  async syncTools(
    organizationId: string,
    server: { id: string; name: string; userId: string },
    tools: McpToolRow[],
  ): Promise<McpSyncResult> {
    return this.ds.transaction(async (m) => {
      const result: McpSyncResult = { added: [], updated: [], deleted: [], kept: [], conflicts: [] };
      await m.query(`SELECT 1 FROM mcp_servers WHERE organization_id = $1 AND id = $2 FOR UPDATE`, [
        organizationId,
        server.id,
      ]);
      const ours = await this.serverTools(m, organizationId, server.id).getMany();
      const byName = new Map(ours.map((t) => [t.name, t]));
      const wanted = new Set(tools.map((t) => t.name));

      for (const tool of ours.filter((t) => !wanted.has(t.name))) {
        const [{ attached }] = (await m.query(
          `SELECT EXISTS (SELECT 1 FROM tools_agents WHERE organization_id = $1 AND tool_id = $2) AS attached`,
          [organizationId, tool.id],
        )) as Array<{ attached: boolean }>;
        if (attached) {
          result.kept.push(tool.name);
        } else {
          await m.delete(ToolEntity, { organizationId, id: tool.id });
          result.deleted.push(tool.name);
        }
      }

      const taken = new Set(
        (
          await m
            .createQueryBuilder(ToolEntity, 't')
            .select('t.name', 'name')
            .where('t.organization_id = :organizationId AND t.name = ANY(:names)', {
              organizationId,
              names: tools.filter((t) => !byName.has(t.name)).map((t) => t.name),
            })
            .getRawMany<{ name: string }>()
        ).map((r) => r.name),
      );

      for (const tool of tools) {
        const existing = byName.get(tool.name);
        if (existing) {
          if (sameJson(existing.jsonSchema, tool.jsonSchema) && existing.description === tool.description)
            continue;
          await m.update(ToolEntity, { organizationId, id: existing.id }, {
            jsonSchema: tool.jsonSchema,
            description: tool.description,
            lastUpdatedById: server.userId,
          } as QueryDeepPartialEntity<ToolEntity>);
          result.updated.push(tool.name);
        } else if (taken.has(tool.name)) {
          result.conflicts.push(tool.name);
        } else {
          await m.insert(ToolEntity, {
            id: newId('tool'),
            organizationId,
            name: tool.name,
            description: tool.description,
            toolType: 'external_mcp',
            sourceType: null,
            sourceCode: null,
            jsonSchema: tool.jsonSchema,
            tags: [`mcp:${server.name}`],
            metadata: { mcp: { server_name: server.name, server_id: server.id, tool_name: tool.name } },
            createdById: server.userId,
            lastUpdatedById: server.userId,
          } as QueryDeepPartialEntity<ToolEntity>);
          result.added.push(tool.name);
        }
      }
      return result;
    });
  }

  private serverTools(m: EntityManager, organizationId: string, serverId: string) {
    return m
      .createQueryBuilder(ToolEntity, 't')
      .where(`t.organization_id = :organizationId AND t.tool_type = 'external_mcp'`, { organizationId })
      .andWhere(`t.metadata -> 'mcp' ->> 'server_id' = :serverId`, { serverId });
  }
}

function uniqueName(e: unknown, name: string | undefined): unknown {
  if ((e as { code?: string }).code === UNIQUE_VIOLATION) {
    return new ConflictError(`An MCP server named '${name}' already exists`, 'mcp_server_name_taken');
  }
  return e;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
