import { Injectable } from '@nestjs/common';
import { Principal } from '../common/auth/principal';
import { BadRequestError, ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import { isId, newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import { BaseToolsService } from './base-tools.service';
import { CreateToolDto, SearchToolsDto, SourceType, UpdateToolDto } from './dto/tool.dto';
import { ToolEntity } from './tool.entity';
import { resolveToolSchema } from './tool-schema';
import { ToolFilter, ToolsRepository } from './tools.repository';

/** Tools Engram itself implements (memory, search, ...): listed and attached, never edited. */
export function isBuiltInTool(tool: ToolEntity): boolean {
  return tool.toolType.startsWith('letta_');
}

const DEFAULT_RETURN_CHAR_LIMIT = 50_000;

@Injectable()
export class ToolsService {
  constructor(
    private readonly tools: ToolsRepository,
    private readonly baseTools: BaseToolsService,
  ) {}

  async create(p: Principal, dto: CreateToolDto): Promise<ToolEntity> {
    const row = await this.build(p, dto);
    if (await this.tools.findByName(p.organizationId, row.name!)) throw duplicate(row.name!);
    return this.insert(row);
  }

  /** PUT /v1/tools: creates the tool, or replaces the custom tool of the same name. */
  async upsert(p: Principal, dto: CreateToolDto): Promise<ToolEntity> {
    const row = await this.build(p, dto);
    const existing = await this.tools.findByName(p.organizationId, row.name!);
    if (!existing) return this.insert(row);
    assertEditable(existing);
    const { id: _id, createdById: _c, organizationId: _o, ...patch } = row;
    return (await this.tools.updateById(p.organizationId, existing.id, patch))!;
  }

  async get(p: Principal, id: string): Promise<ToolEntity> {
    const tool = await this.tools.findById(p.organizationId, id);
    if (!tool) throw new NotFoundError('Tool', id);
    return tool;
  }

  async list(p: Principal, filter: ToolFilter, page: PageRequest): Promise<ToolEntity[]> {
    if (filter.ids?.some((id) => !isId('tool', id))) {
      throw new InvalidInputError(
        `tool_ids: '${filter.ids.find((id) => !isId('tool', id))}' is not a valid tool id`,
      );
    }
    await this.baseTools.ensureBaseTools(p.organizationId);
    return this.tools.list(p.organizationId, filter, page);
  }

  async count(p: Principal, filter: ToolFilter): Promise<number> {
    await this.baseTools.ensureBaseTools(p.organizationId);
    return this.tools.count(p.organizationId, filter);
  }

  /** Letta's ToolSearchResult list. Engram has no tool embeddings: every mode is full-text. */
  async search(
    p: Principal,
    dto: SearchToolsDto,
  ): Promise<Array<{ tool: ToolEntity; rank: number; position: number }>> {
    await this.baseTools.ensureBaseTools(p.organizationId);
    const found = await this.tools.search(
      p.organizationId,
      dto.query ?? undefined,
      { tags: dto.tags ?? undefined, toolTypes: dto.tool_types ?? undefined },
      dto.limit ?? 50,
    );
    return found.map((f, i) => ({ ...f, position: i + 1 }));
  }

  async update(p: Principal, id: string, dto: UpdateToolDto): Promise<ToolEntity> {
    const tool = await this.get(p, id);
    assertEditable(tool);
    const patch: Partial<ToolEntity> = { lastUpdatedById: p.userId };
    const sourceType = (dto.source_type ?? tool.sourceType ?? 'python') as SourceType;
    const sourceCode = dto.source_code ?? tool.sourceCode;
    if (
      dto.source_code != null ||
      dto.json_schema != null ||
      dto.args_json_schema != null ||
      dto.source_type != null
    ) {
      if (!sourceCode)
        throw new InvalidInputError('source_code: the tool has no source code to derive a schema from');
      const resolved = await resolveToolSchema({
        sourceType,
        sourceCode,
        // A new source without a new schema is re-derived; a new schema alone keeps the source.
        jsonSchema: dto.json_schema ?? (dto.source_code != null ? null : tool.jsonSchema),
        argsJsonSchema: dto.args_json_schema,
      });
      if (resolved.name !== tool.name) {
        const other = await this.tools.findByName(p.organizationId, resolved.name);
        if (other && other.id !== tool.id) throw duplicate(resolved.name);
      }
      Object.assign(patch, {
        name: resolved.name,
        jsonSchema: resolved.jsonSchema,
        sourceCode,
        sourceType,
        description: dto.description ?? resolved.description ?? tool.description,
      });
      if (dto.args_json_schema !== undefined) patch.argsJsonSchema = dto.args_json_schema;
    }
    if (dto.description !== undefined) patch.description = dto.description;
    if (dto.tags != null) patch.tags = dto.tags;
    if (dto.return_char_limit != null) patch.returnCharLimit = dto.return_char_limit;
    if (dto.pip_requirements !== undefined) patch.pipRequirements = dto.pip_requirements;
    if (dto.npm_requirements !== undefined) patch.npmRequirements = dto.npm_requirements;
    if (dto.default_requires_approval !== undefined)
      patch.defaultRequiresApproval = dto.default_requires_approval;
    if (dto.enable_parallel_execution !== undefined)
      patch.enableParallelExecution = dto.enable_parallel_execution;
    if (dto.metadata_ !== undefined) patch.metadata = dto.metadata_;
    return (await this.tools.updateById(p.organizationId, id, patch))!;
  }

  async delete(p: Principal, id: string): Promise<void> {
    assertEditable(await this.get(p, id));
    await this.tools.deleteById(p.organizationId, id);
  }

  private async build(p: Principal, dto: CreateToolDto): Promise<Partial<ToolEntity>> {
    const sourceType = dto.source_type ?? 'python';
    const resolved = await resolveToolSchema({
      sourceType,
      sourceCode: dto.source_code,
      jsonSchema: dto.json_schema,
      argsJsonSchema: dto.args_json_schema,
    });
    return {
      id: newId('tool'),
      organizationId: p.organizationId,
      name: resolved.name,
      description: dto.description ?? resolved.description,
      toolType: 'custom',
      sourceType,
      sourceCode: dto.source_code,
      jsonSchema: resolved.jsonSchema,
      argsJsonSchema: dto.args_json_schema ?? null,
      tags: dto.tags ?? [],
      returnCharLimit: dto.return_char_limit ?? DEFAULT_RETURN_CHAR_LIMIT,
      pipRequirements: dto.pip_requirements ?? null,
      npmRequirements: dto.npm_requirements ?? null,
      defaultRequiresApproval: dto.default_requires_approval ?? null,
      enableParallelExecution: dto.enable_parallel_execution ?? null,
      createdById: p.userId,
      lastUpdatedById: p.userId,
    };
  }

  private async insert(row: Partial<ToolEntity>): Promise<ToolEntity> {
    try {
      return await this.tools.insert(row);
    } catch (e) {
      // Two concurrent creates of one name: the unique constraint decides.
      if (pgCode(e) === '23505') throw duplicate(row.name!);
      throw e;
    }
  }
}

function pgCode(e: unknown): string | undefined {
  const err = e as { code?: string; driverError?: { code?: string } };
  return err.driverError?.code ?? err.code;
}

function duplicate(name: string): ConflictError {
  return new ConflictError(
    `A tool named '${name}' already exists in this organization`,
    'tool_name_conflict',
  );
}

function assertEditable(tool: ToolEntity): void {
  if (isBuiltInTool(tool)) {
    throw new BadRequestError(
      `Tool '${tool.name}' is a built-in ${tool.toolType} tool and cannot be modified or deleted`,
      'built_in_tool',
    );
  }
}
