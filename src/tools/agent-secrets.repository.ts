import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Not } from 'typeorm';
import { TenantRepository } from '../common/tenant.repository';
import { camelRow } from '../database/prepared';
import { AgentSecretEntity } from './agent-secret.entity';

@Injectable()
export class AgentSecretsRepository extends TenantRepository<AgentSecretEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(AgentSecretEntity));
  }

  /** An agent's secrets (sealed) as a JSON array, as a subquery over the agent row `a`. */
  static readonly AGENT_SECRETS_JSON = `COALESCE((SELECT json_agg(s.* ORDER BY s.key)
     FROM agent_secrets s WHERE s.agent_id = a.id), '[]')`;

  /** The rows of `AGENT_SECRETS_JSON`'s value. */
  fromJson(value: unknown): AgentSecretEntity[] {
    return (value as Record<string, unknown>[]).map((r) =>
      this.repo.create(camelRow(r) as Partial<AgentSecretEntity>),
    );
  }

  /** The secrets of a batch of agents, by agent, in key order. */
  async forAgents(organizationId: string, agentIds: string[]): Promise<Map<string, AgentSecretEntity[]>> {
    const result = new Map<string, AgentSecretEntity[]>(agentIds.map((id) => [id, []]));
    if (agentIds.length === 0) return result;
    const rows = await this.repo.find({
      where: { organizationId, agentId: In(agentIds) },
      order: { agentId: 'ASC', key: 'ASC' },
    });
    for (const row of rows) result.get(row.agentId)?.push(row);
    return result;
  }

  /**
   * The agent's secrets become exactly `rows`: new keys inserted, known keys re-encrypted,
   * others deleted, in one transaction (or inside the caller's, on agent creation).
   */
  async replace(
    organizationId: string,
    agentId: string,
    rows: AgentSecretEntity[],
    m?: EntityManager,
  ): Promise<void> {
    const run = async (tx: EntityManager) => {
      const repo = tx.getRepository(AgentSecretEntity);
      const keys = rows.map((r) => r.key);
      await repo.delete(
        keys.length ? { organizationId, agentId, key: Not(In(keys)) } : { organizationId, agentId },
      );
      if (rows.length === 0) return;
      await tx
        .createQueryBuilder()
        .insert()
        .into(AgentSecretEntity)
        .values(rows)
        .orUpdate(['value_enc', 'last_updated_by_id', 'updated_at'], ['agent_id', 'key'])
        .execute();
    };
    await (m ? run(m) : this.ds.transaction(run));
  }
}
