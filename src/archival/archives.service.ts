import { Injectable } from '@nestjs/common';
import { Principal } from '../common/auth/principal';
import { InvalidInputError } from '../common/errors';
import { isId, newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { ArchivalMemoryService } from './archival-memory.service';
import { ArchiveEntity } from './archive.entity';
import { ArchivesRepository } from './archives.repository';
import { CreateArchiveDto, UpdateArchiveDto } from './dto/archive.dto';
import { EmbeddingsService } from './embeddings.service';

/** Archives (shared archival memory): CRUD and attaching them to agents. */
@Injectable()
export class ArchivesService {
  constructor(
    private readonly archives: ArchivesRepository,
    private readonly memory: ArchivalMemoryService,
    private readonly embeddings: EmbeddingsService,
  ) {}

  async create(p: Principal, dto: CreateArchiveDto): Promise<ArchiveEntity> {
    const handle = dto.embedding ?? this.embeddings.handleOf(dto.embedding_config);
    const embeddingConfig = {
      ...(await this.embeddings.configFor(handle)),
      ...(dto.embedding_config ?? {}),
      handle,
    };
    return this.archives.insert({
      id: newId('archive'),
      organizationId: p.organizationId,
      name: dto.name,
      description: dto.description ?? null,
      embeddingConfig,
      vectorDbProvider: 'native',
      metadata: null,
      createdById: p.userId,
      lastUpdatedById: p.userId,
    });
  }

  get(p: Principal, id: string): Promise<ArchiveEntity> {
    return this.memory.archiveOrThrow(p, id);
  }

  list(p: Principal, f: { name?: string; agentId?: string }, page: PageRequest): Promise<ArchiveEntity[]> {
    if (f.agentId !== undefined && !isId('agent', f.agentId)) {
      throw new InvalidInputError(`agent_id: '${f.agentId}' is not a valid agent id`, 'invalid_id');
    }
    return this.archives.list(p.organizationId, f, page);
  }

  async update(p: Principal, id: string, dto: UpdateArchiveDto): Promise<ArchiveEntity> {
    await this.memory.archiveOrThrow(p, id);
    const patch: Partial<ArchiveEntity> = { lastUpdatedById: p.userId };
    if (dto.name != null) patch.name = dto.name;
    if (dto.description !== undefined) patch.description = dto.description;
    await this.archives.update(p.organizationId, id, patch);
    return this.memory.archiveOrThrow(p, id);
  }

  /** Deleting an archive deletes its passages and detaches it from every agent. */
  async delete(p: Principal, id: string): Promise<void> {
    await this.memory.archiveOrThrow(p, id);
    await this.archives.deleteById(p.organizationId, id);
  }

  async attach(p: Principal, agentId: string, archiveId: string): Promise<void> {
    await this.memory.agentOrThrow(p, agentId);
    await this.memory.archiveOrThrow(p, archiveId);
    await this.archives.attach(p.organizationId, agentId, archiveId);
  }

  async detach(p: Principal, agentId: string, archiveId: string): Promise<void> {
    await this.memory.agentOrThrow(p, agentId);
    await this.memory.archiveOrThrow(p, archiveId);
    await this.archives.detach(p.organizationId, agentId, archiveId);
  }
}
