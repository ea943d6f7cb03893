import { Injectable, OnModuleInit } from '@nestjs/common';
import { AgentExtensions } from '../agents/agent-extensions';
import { AgentsRepository } from '../agents/agents.repository';
import { AgentsService } from '../agents/agents.service';
import type { CreateAgentDto, UpdateAgentDto } from '../agents/dto/agent.dto';
import { Principal } from '../common/auth/principal';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import { IdPrefix, isId, newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { BlockEntity } from '../memory/block.entity';
import { BlocksService } from '../memory/blocks.service';
import { CreateIdentityDto, IdentityPropertyDto, UpdateIdentityDto } from './dto/identity.dto';
import { IdentitiesRepository, IdentityFilter, LinkChange } from './identities.repository';
import {
  IdentityAgentEntity,
  IdentityEntity,
  IdentityProperty,
  IdentityWithLinks,
  toIdentityDto,
} from './identity.entity';

/**
 * Letta's identities: who an application's agents serve. Each is keyed by the application's own
 * `identifier_key` (unique per project), carries typed properties, and links to agents and
 * blocks; an agent's state lists its identities.
 */
@Injectable()
export class IdentitiesService implements OnModuleInit {
  constructor(
    private readonly identities: IdentitiesRepository,
    private readonly agentRows: AgentsRepository,
    private readonly agents: AgentsService,
    private readonly blocks: BlocksService,
    private readonly extensions: AgentExtensions,
  ) {}

  onModuleInit(): void {
    this.extensions.register({
      name: 'identities',
      prepareCreate: (p, dto) => this.resolveForAgent(p, dto),
      createRows: (p, agent, _dto, prepared) => ({
        rows: [
          {
            entity: IdentityAgentEntity,
            rows: (prepared as string[]).map((identityId) => ({
              organizationId: p.organizationId,
              identityId,
              agentId: agent.id,
            })),
          },
        ],
      }),
      prepareUpdate: async (p, _agent, dto) => {
        if (dto.identity_ids != null) await this.resolveIds(p, dto.identity_ids);
      },
      afterUpdate: (p, agent, dto) => this.afterAgentUpdate(p, agent.id, dto),
      statePart: {
        relation: 'identities',
        sql: IdentitiesRepository.AGENT_IDENTITIES_JSON,
        toState: (value) => {
          const mine = this.identities.fromJson(value);
          return { identities: mine.map(toIdentityDto), identity_ids: mine.map((i) => i.identity.id) };
        },
      },
    });
  }

  async create(p: Principal, dto: CreateIdentityDto): Promise<IdentityWithLinks> {
    const projectId = dto.project_id ?? null;
    if (await this.identities.findByKey(p.organizationId, dto.identifier_key, projectId))
      throw duplicate(dto.identifier_key, projectId);
    const id = newId('identity');
    const row = {
      id,
      organizationId: p.organizationId,
      identifierKey: dto.identifier_key,
      name: dto.name,
      identityType: dto.identity_type,
      projectId,
      properties: checkProperties(dto.properties ?? []),
      createdById: p.userId,
      lastUpdatedById: p.userId,
    };
    const agents = await this.agentLinks(p, dto.agent_ids, 'replace');
    const blocks = await this.blockLinks(p, dto.block_ids, 'replace');
    await this.saveUnique(
      () => this.identities.save({ row, agents, blocks }, true),
      dto.identifier_key,
      projectId,
    );
    return this.get(p, id);
  }

  /**
   * PUT /v1/identities: creates the identity of this key and project, or replaces the one there
   * (name, type, and the properties and links given), as Letta's upsert does.
   */
  async upsert(p: Principal, dto: CreateIdentityDto): Promise<IdentityWithLinks> {
    const existing = await this.identities.findByKey(
      p.organizationId,
      dto.identifier_key,
      dto.project_id ?? null,
    );
    if (!existing) return this.create(p, dto);
    return this.change(p, existing, dto, 'replace');
  }

  async get(p: Principal, id: string): Promise<IdentityWithLinks> {
    const [found] = await this.identities.withLinks(p.organizationId, [await this.row(p, id)]);
    return found;
  }

  async list(p: Principal, filter: IdentityFilter, page: PageRequest): Promise<IdentityWithLinks[]> {
    return this.identities.withLinks(
      p.organizationId,
      await this.identities.list(p.organizationId, filter, page),
    );
  }

  count(p: Principal): Promise<number> {
    return this.identities.count(p.organizationId);
  }

  /** PATCH: given fields change; properties merge by key and agent/block ids are added, as in Letta. */
  async update(p: Principal, id: string, dto: UpdateIdentityDto): Promise<IdentityWithLinks> {
    return this.change(p, await this.row(p, id), dto, 'add');
  }

  /** PUT .../properties: the identity's properties become exactly these. */
  async replaceProperties(p: Principal, id: string, properties: IdentityPropertyDto[]) {
    return this.change(p, await this.row(p, id), { properties }, 'replace');
  }

  async delete(p: Principal, id: string): Promise<void> {
    if (!(await this.identities.deleteById(p.organizationId, id))) throw new NotFoundError('Identity', id);
  }

  /** The AgentStates of the identity's agents, paged. */
  async agentsOf(p: Principal, id: string, page: PageRequest): Promise<Record<string, unknown>[]> {
    await this.row(p, id);
    return this.agents.toStates(p, await this.agents.list(p, { identityId: id }, page));
  }

  async blocksOf(p: Principal, id: string, page: PageRequest): Promise<BlockEntity[]> {
    await this.row(p, id);
    return this.blocks.list(p, { identityId: id }, page);
  }

  async attachAgent(p: Principal, agentId: string, identityId: string): Promise<void> {
    await Promise.all([this.agents.assertExists(p, agentId), this.row(p, identityId)]);
    await this.identities.attachAgent(p.organizationId, identityId, agentId);
  }

  async detachAgent(p: Principal, agentId: string, identityId: string): Promise<void> {
    await Promise.all([this.agents.assertExists(p, agentId), this.row(p, identityId)]);
    await this.identities.detachAgent(p.organizationId, identityId, agentId);
  }

  private async row(p: Principal, id: string): Promise<IdentityEntity> {
    const found = await this.identities.findById(p.organizationId, id);
    if (!found) throw new NotFoundError('Identity', id);
    return found;
  }

  private async change(
    p: Principal,
    current: IdentityEntity,
    dto: UpdateIdentityDto,
    mode: LinkChange['mode'],
  ): Promise<IdentityWithLinks> {
    const patch: Partial<IdentityEntity> & { id: string; organizationId: string } = {
      id: current.id,
      organizationId: p.organizationId,
      lastUpdatedById: p.userId,
    };
    if (dto.identifier_key != null) patch.identifierKey = dto.identifier_key;
    if (dto.name != null) patch.name = dto.name;
    if (dto.identity_type != null) patch.identityType = dto.identity_type;
    if (dto.properties != null) {
      const given = checkProperties(dto.properties);
      if (mode === 'replace') patch.properties = given;
      else {
        const merged = new Map((current.properties ?? []).map((x) => [x.key, x]));
        for (const x of given) merged.set(x.key, x);
        patch.properties = [...merged.values()];
      }
    }
    const key = patch.identifierKey ?? current.identifierKey;
    if (key !== current.identifierKey) {
      const other = await this.identities.findByKey(p.organizationId, key, current.projectId);
      if (other && other.id !== current.id) throw duplicate(key, current.projectId);
    }
    const agents = await this.agentLinks(p, dto.agent_ids, mode);
    const blocks = await this.blockLinks(p, dto.block_ids, mode);
    await this.saveUnique(
      () => this.identities.save({ row: patch, agents, blocks }, false),
      key,
      current.projectId,
    );
    return this.get(p, current.id);
  }

  /** Two concurrent writes of one key: the unique constraint decides, and the loser gets a 409. */
  private async saveUnique(write: () => Promise<void>, key: string, projectId: string | null) {
    try {
      await write();
    } catch (e) {
      const err = e as { code?: string; driverError?: { code?: string } };
      if ((err.driverError?.code ?? err.code) === '23505') throw duplicate(key, projectId);
      throw e;
    }
  }

  private async agentLinks(p: Principal, ids: string[] | null | undefined, mode: LinkChange['mode']) {
    if (ids == null) return undefined;
    const unique = [...new Set(checkIds('agent_ids', 'agent', ids))];
    const found = await this.agentRows.findByIds(p.organizationId, unique);
    const missing = unique.find((id) => !found.some((a) => a.id === id));
    if (missing) throw new NotFoundError('Agent', missing);
    return { mode, ids: unique };
  }

  private async blockLinks(p: Principal, ids: string[] | null | undefined, mode: LinkChange['mode']) {
    if (ids == null) return undefined;
    const blocks = await this.blocks.getMany(p, checkIds('block_ids', 'block', ids));
    return { mode, ids: blocks.map((b) => b.id) };
  }

  /** `identity_ids` on agent create: every id must be one of the tenant's identities. */
  private resolveForAgent(p: Principal, dto: CreateAgentDto): Promise<string[]> {
    return this.resolveIds(p, dto.identity_ids ?? []);
  }

  private async resolveIds(p: Principal, given: string[]): Promise<string[]> {
    const ids = [...new Set(checkIds('identity_ids', 'identity', given))];
    const found = await this.identities.findByIds(p.organizationId, ids);
    const missing = ids.find((id) => !found.some((i) => i.id === id));
    if (missing) throw new NotFoundError('Identity', missing);
    return ids;
  }

  /** `identity_ids` on agent update: the agent's identities become exactly these. */
  private async afterAgentUpdate(p: Principal, agentId: string, dto: UpdateAgentDto): Promise<void> {
    if (dto.identity_ids == null) return;
    const ids = await this.resolveIds(p, dto.identity_ids);
    await this.identities.replaceForAgent(p.organizationId, agentId, ids);
  }
}

function checkIds(field: string, prefix: IdPrefix, ids: string[]): string[] {
  const bad = ids.find((id) => !isId(prefix, id));
  if (bad) throw new InvalidInputError(`${field}: '${bad}' is not a valid ${prefix} id`);
  return ids.map((id) => id.toLowerCase());
}

/** Each value must be of its declared type; a key may appear once. */
function checkProperties(properties: IdentityPropertyDto[]): IdentityProperty[] {
  const seen = new Set<string>();
  return properties.map((x, i) => {
    const ok =
      x.type === 'json'
        ? typeof x.value === 'object' && x.value !== null && !Array.isArray(x.value)
        : x.type === 'number'
          ? typeof x.value === 'number' && Number.isFinite(x.value)
          : typeof x.value === x.type;
    if (!ok)
      throw new InvalidInputError(
        `properties[${i}].value: must be ${x.type === 'json' ? 'an object' : `a ${x.type}`} (type '${x.type}')`,
      );
    if (seen.has(x.key)) throw new InvalidInputError(`properties[${i}].key: '${x.key}' appears twice`);
    seen.add(x.key);
    return { key: x.key, value: x.value, type: x.type };
  });
}

function duplicate(key: string, projectId: string | null): ConflictError {
  return new ConflictError(
    `An identity with identifier_key '${key}'${projectId ? ` in project '${projectId}'` : ''} already exists`,
    'identity_conflict',
  );
}
