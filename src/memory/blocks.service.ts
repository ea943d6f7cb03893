import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { Principal } from '../common/auth/principal';
import { charCount } from '../common/text';
import { BlockEntity } from './block.entity';
import { BlockFilter, BlocksRepository } from './blocks.repository';
import { CreateBlockDto, DEFAULT_BLOCK_LIMIT, MAX_BLOCK_LIMIT, UpdateBlockDto } from './dto/block.dto';

/** Core memory blocks: labelled text with a character limit, shareable between agents. */
@Injectable()
export class BlocksService {
  constructor(private readonly blocks: BlocksRepository) {}

  /** Builds a new block row (not saved) after checking its value fits its limit. */
  build(p: Principal, dto: CreateBlockDto): Partial<BlockEntity> {
    // Without a limit, a longer value raises it (so the agent can keep editing), up to the cap.
    const limit = dto.limit ?? Math.min(MAX_BLOCK_LIMIT, Math.max(DEFAULT_BLOCK_LIMIT, charCount(dto.value)));
    assertFits(dto.value, limit, dto.label);
    return {
      id: newId('block'),
      organizationId: p.organizationId,
      label: dto.label,
      value: dto.value,
      limit,
      description: dto.description ?? null,
      metadata: dto.metadata ?? null,
      tags: dto.tags ?? null,
      readOnly: dto.read_only ?? false,
      hidden: dto.hidden ?? null,
      isTemplate: dto.is_template ?? false,
      templateName: dto.template_name ?? null,
      templateId: dto.template_id ?? null,
      baseTemplateId: dto.base_template_id ?? null,
      deploymentId: dto.deployment_id ?? null,
      entityId: dto.entity_id ?? null,
      projectId: dto.project_id ?? null,
      preserveOnMigration: dto.preserve_on_migration ?? null,
      createdById: p.userId,
      lastUpdatedById: p.userId,
    };
  }

  async create(p: Principal, dto: CreateBlockDto): Promise<BlockEntity> {
    return this.blocks.insert(this.build(p, dto));
  }

  async get(p: Principal, id: string): Promise<BlockEntity> {
    const block = await this.blocks.findById(p.organizationId, id);
    if (!block) throw new NotFoundError('Block', id);
    return block;
  }

  /** Blocks by id, all of which must belong to the tenant. */
  async getMany(p: Principal, ids: string[]): Promise<BlockEntity[]> {
    const unique = [...new Set(ids)];
    const found = await this.blocks.findByIds(p.organizationId, unique);
    const missing = unique.find((id) => !found.some((b) => b.id === id));
    if (missing) throw new NotFoundError('Block', missing);
    return unique.map((id) => found.find((b) => b.id === id)!);
  }

  list(p: Principal, filter: BlockFilter, page: PageRequest): Promise<BlockEntity[]> {
    return this.blocks.list(p.organizationId, filter, page);
  }

  async update(p: Principal, id: string, dto: UpdateBlockDto): Promise<BlockEntity> {
    const block = await this.get(p, id);
    const patch = this.patchFor(p, block, dto);
    if (patch.label !== undefined && patch.label !== block.label) {
      for (const agentId of await this.blocks.agentIdsOf(p.organizationId, id)) {
        if (await this.blocks.labelTaken(p.organizationId, agentId, patch.label)) {
          throw new ConflictError(`Agent '${agentId}' already has a block labelled '${patch.label}'`);
        }
      }
    }
    await this.blocks.update(p.organizationId, id, patch);
    return this.get(p, id);
  }

  async delete(p: Principal, id: string): Promise<void> {
    if (!(await this.blocks.deleteById(p.organizationId, id))) throw new NotFoundError('Block', id);
  }

  agentIdsOf(p: Principal, blockId: string): Promise<string[]> {
    return this.blocks.agentIdsOf(p.organizationId, blockId);
  }

  async forAgents(p: Principal, agentIds: string[]): Promise<Map<string, BlockEntity[]>> {
    return this.blocks.forAgents(p.organizationId, agentIds);
  }

  async getForAgent(p: Principal, agentId: string, label: string): Promise<BlockEntity> {
    const block = await this.blocks.findForAgentByLabel(p.organizationId, agentId, label);
    if (!block) throw new NotFoundError('Block with label', `${label}' on agent '${agentId}`);
    return block;
  }

  /** An agent's own memory edit: a block's value by label, one statement. */
  async setValueForAgent(p: Principal, agentId: string, label: string, value: string): Promise<BlockEntity> {
    const { updated, block } = await this.blocks.setValueForAgent(
      p.organizationId,
      agentId,
      label,
      value,
      p.userId,
    );
    if (updated) return updated;
    if (!block) throw new NotFoundError('Block with label', `${label}' on agent '${agentId}`);
    assertFits(value, block.limit, block.label);
    throw new Error(`block '${label}' of agent '${agentId}' was not updated`);
  }

  async updateForAgent(
    p: Principal,
    agentId: string,
    label: string,
    dto: UpdateBlockDto,
  ): Promise<BlockEntity> {
    const block = await this.getForAgent(p, agentId, label);
    return this.update(p, block.id, dto);
  }

  async attach(p: Principal, agentId: string, blockId: string): Promise<void> {
    const block = await this.get(p, blockId);
    if (await this.blocks.isAttached(p.organizationId, agentId, blockId)) return;
    if (await this.blocks.labelTaken(p.organizationId, agentId, block.label)) {
      throw new ConflictError(`Agent '${agentId}' already has a block labelled '${block.label}'`);
    }
    await this.blocks.attach(p.organizationId, agentId, block);
  }

  async detach(p: Principal, agentId: string, blockId: string): Promise<void> {
    await this.get(p, blockId);
    if (!(await this.blocks.detach(p.organizationId, agentId, blockId))) {
      throw new NotFoundError('Block', `${blockId}' on agent '${agentId}`);
    }
  }

  private patchFor(p: Principal, block: BlockEntity, dto: UpdateBlockDto): Partial<BlockEntity> {
    const patch: Partial<BlockEntity> = { lastUpdatedById: p.userId };
    const set = <K extends keyof BlockEntity>(key: K, value: BlockEntity[K] | undefined) => {
      if (value !== undefined) patch[key] = value;
    };
    set('label', dto.label ?? undefined);
    set('value', dto.value ?? undefined);
    set('limit', dto.limit ?? undefined);
    set('description', dto.description);
    set('metadata', dto.metadata);
    set('tags', dto.tags);
    set('readOnly', dto.read_only);
    set('hidden', dto.hidden);
    set('isTemplate', dto.is_template);
    set('templateName', dto.template_name);
    set('templateId', dto.template_id);
    set('baseTemplateId', dto.base_template_id);
    set('deploymentId', dto.deployment_id);
    set('entityId', dto.entity_id);
    set('projectId', dto.project_id);
    set('preserveOnMigration', dto.preserve_on_migration);
    assertFits(patch.value ?? block.value, patch.limit ?? block.limit, patch.label ?? block.label);
    return patch;
  }
}

/** Refuses a value longer than the block's limit, naming both numbers. */
export function assertFits(value: string, limit: number, label: string): void {
  const length = charCount(value);
  if (length > limit) {
    throw new InvalidInputError(
      `Value of block '${label}' is ${length} characters, over the block's limit of ${limit} characters`,
      'block_limit_exceeded',
    );
  }
}
