import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AgentEntity } from '../agents/agent.entity';
import { Principal } from '../common/auth/principal';
import { DomainError } from '../common/errors';
import { AgentFilesService } from '../sources/agent-files.service';
import { CreateFolderDto } from '../sources/dto/source.dto';
import { FileEntity } from '../sources/file.entity';
import { FilesService, RestoredFile } from '../sources/files.service';
import { SourcesService } from '../sources/sources.service';
import { afFields, afUnique, afValidate } from './af-fields';
import { afList, afObject, afString, agentFileError as bad } from './af-messages';
import { AgentFileFileAgentDto, AgentFileFileDto } from './dto/af-folders.dto';

type Json = Record<string, unknown>;

interface FolderPlan {
  fileId: string;
  /** The name it gets: the file's, or with a suffix when the organization has a folder of that name. */
  name: string;
  dto: CreateFolderDto;
  embeddingConfig: Record<string, unknown>;
}

interface FilePlan {
  fileId: string;
  sourceFileId: string;
  file: RestoredFile;
}

/** The folders and files of an agent file, validated and ready to write. */
export interface FoldersPlan {
  folders: FolderPlan[];
  files: FilePlan[];
}

/** One agent's folders (file-local ids) and the state of its view of each file. */
export interface AgentFoldersPlan {
  sourceFileIds: string[];
  views: Array<{
    fileFileId: string;
    isOpen: boolean;
    visibleContent: string | null;
    startLine: number | null;
    endLine: number | null;
    lastAccessedAt: Date | null;
  }>;
}

/** What `write` created: file-local ids to the organization's, and the files to ingest. */
export interface WrittenFolders {
  sourceIds: Map<string, string>;
  fileIds: Map<string, string>;
  toIngest: FileEntity[];
}

/**
 * The folders part of an agent-file import (Letta's `sources`, `files` and each agent's
 * `source_ids`/`folder_ids` and `files_agents`): validated with the rest of the file before
 * anything is written, then folders and files created (each file with its text, `pending`),
 * the agents' views restored as they are created, and, once every agent exists, one ingestion
 * job per file, so the file's passages are made again with the folder's embedding model.
 */
@Injectable()
export class AgentFileFoldersService {
  constructor(
    private readonly sources: SourcesService,
    private readonly files: FilesService,
    private readonly views: AgentFilesService,
  ) {}

  /** The organization's file tools by name, made first if it has none yet. */
  async fileTools(p: Principal): Promise<Map<string, string>> {
    return this.sources.ensureFileTools(p);
  }

  async plan(p: Principal, schema: Json, opts: { embedding?: string }): Promise<FoldersPlan> {
    const rawSources = afList(schema.sources, 'sources').map((s, i) => afObject(s, `sources[${i}]`));
    const rawFiles = afList(schema.files, 'files').map((f, i) => afObject(f, `files[${i}]`));
    afUnique(
      'sources',
      rawSources.map((s, i) => afString(s.id, `sources[${i}].id`)),
    );
    afUnique(
      'files',
      rawFiles.map((f, i) => afString(f.id, `files[${i}].id`)),
    );
    const folders: FolderPlan[] = [];
    const names = new Set<string>();
    for (const [i, raw] of rawSources.entries()) {
      const where = `sources[${i}]`;
      const body = afFields(raw, ['id'], CreateFolderDto);
      if (opts.embedding) {
        // As in Letta, the import's embedding model replaces the folders' too; the chunk size stays.
        const config = body.embedding_config as Json | null | undefined;
        body.embedding = opts.embedding;
        body.embedding_chunk_size ??= config?.embedding_chunk_size ?? null;
        delete body.embedding_config;
      }
      const dto = await afValidate(CreateFolderDto, body, where);
      const embeddingConfig = await this.sources.resolveEmbedding(dto).catch((e: unknown) => {
        throw e instanceof DomainError ? bad(where, e.message) : e;
      });
      let name = dto.name;
      if (names.has(name) || (await this.sources.nameTaken(p, name)))
        name = `${name}_${randomBytes(4).toString('hex')}`;
      names.add(name);
      folders.push({ fileId: raw.id as string, name, dto, embeddingConfig });
    }
    const files: FilePlan[] = [];
    const taken = new Set<string>();
    for (const [i, raw] of rawFiles.entries()) {
      const where = `files[${i}]`;
      const dto = await afValidate(AgentFileFileDto, afFields(raw, ['id'], AgentFileFileDto), where);
      const folder = folders.find((f) => f.fileId === dto.source_id);
      if (!folder) throw bad(`${where}.source_id`, `'${dto.source_id}' is not a source of the file`);
      // Letta has written file names as `folder/file`: the folder's name is not part of a file's.
      let name = dto.file_name ?? dto.original_file_name ?? '';
      if (name.startsWith(`${folder.dto.name}/`)) name = name.slice(folder.dto.name.length + 1);
      name = name.split(/[\\/]/).pop()!.trim();
      if (!name) throw bad(`${where}.file_name`, 'a file needs a name');
      if (taken.has(`${folder.fileId}\u0000${name}`))
        throw bad(`${where}.file_name`, `'${name}' appears twice in folder '${folder.dto.name}'`);
      taken.add(`${folder.fileId}\u0000${name}`);
      const text = dto.content ?? null;
      files.push({
        fileId: raw.id as string,
        sourceFileId: folder.fileId,
        file: {
          fileName: name,
          originalFileName: dto.original_file_name ?? name,
          fileType: dto.file_type ?? null,
          fileSize: dto.file_size ?? (text === null ? null : Buffer.byteLength(text)),
          text,
          errorMessage: dto.error_message ?? null,
        },
      });
    }
    return { folders, files };
  }

  /** An agent's `source_ids` (or `folder_ids`) and `files_agents`, checked against the file's folders and files. */
  async planAgent(a: Json, where: string, plan: FoldersPlan): Promise<AgentFoldersPlan> {
    const ids = (key: string) =>
      afList(a[key], `${where}.${key}`).map((x, j) => afString(x, `${where}.${key}[${j}]`));
    const bySource = ids('source_ids');
    const byFolder = ids('folder_ids');
    if (
      bySource.length &&
      byFolder.length &&
      [...new Set(bySource)].sort().join() !== [...new Set(byFolder)].sort().join()
    )
      throw bad(`${where}.folder_ids`, 'give source_ids or folder_ids (they are the same field)');
    const key = bySource.length ? 'source_ids' : 'folder_ids';
    const sourceFileIds = [...new Set(bySource.length ? bySource : byFolder)];
    for (const [j, id] of (bySource.length ? bySource : byFolder).entries())
      if (!plan.folders.some((f) => f.fileId === id))
        throw bad(`${where}.${key}[${j}]`, `'${id}' is not a source of the file`);
    const views: AgentFoldersPlan['views'] = [];
    for (const [j, raw] of afList(a.files_agents, `${where}.files_agents`).entries()) {
      const w = `${where}.files_agents[${j}]`;
      const body = afFields(afObject(raw, w), ['id'], AgentFileFileAgentDto);
      const dto = await afValidate(AgentFileFileAgentDto, body, w);
      const file = plan.files.find((f) => f.fileId === dto.file_id);
      if (!file) throw bad(`${w}.file_id`, `'${dto.file_id}' is not a file of the agent file`);
      if (dto.source_id != null && dto.source_id !== file.sourceFileId)
        throw bad(`${w}.source_id`, `'${dto.source_id}' is not the folder of '${dto.file_id}'`);
      if (!sourceFileIds.includes(file.sourceFileId))
        throw bad(
          `${w}.file_id`,
          `'${dto.file_id}' is in '${file.sourceFileId}', which is not one of the agent's ${key}`,
        );
      if (views.some((v) => v.fileFileId === dto.file_id))
        throw bad(`${w}.file_id`, `'${dto.file_id}' appears twice`);
      views.push({
        fileFileId: dto.file_id,
        isOpen: dto.is_open ?? true,
        visibleContent: dto.visible_content ?? null,
        startLine: dto.start_line ?? null,
        endLine: dto.end_line ?? null,
        lastAccessedAt: dto.last_accessed_at ? new Date(dto.last_accessed_at) : null,
      });
    }
    return { sourceFileIds, views };
  }

  /** Creates the folders and files; `created` gets each folder's id as it is made (for undo). */
  async write(p: Principal, plan: FoldersPlan, created: string[]): Promise<WrittenFolders> {
    const out: WrittenFolders = { sourceIds: new Map(), fileIds: new Map(), toIngest: [] };
    for (const f of plan.folders) {
      const folder = await this.sources.create(p, Object.assign(f.dto, { name: f.name }), f.embeddingConfig);
      created.push(folder.id);
      out.sourceIds.set(f.fileId, folder.id);
    }
    for (const f of plan.files) {
      const row = await this.files.restore(p, out.sourceIds.get(f.sourceFileId)!, f.file);
      out.fileIds.set(f.fileId, row.id);
      if (f.file.text !== null) out.toIngest.push(row);
    }
    return out;
  }

  /** Inside the transaction creating the agent (its folders linked): its views as the file gives them. */
  restoreViews(
    m: EntityManager,
    agent: AgentEntity,
    plan: AgentFoldersPlan,
    written: WrittenFolders,
  ): Promise<void> {
    return this.views.restoreViews(
      m,
      agent,
      plan.views.map(({ fileFileId, ...v }) => ({ ...v, fileId: written.fileIds.get(fileFileId)! })),
    );
  }

  /** Once every agent exists: one ingestion job per file with text. */
  async ingest(p: Principal, written: WrittenFolders): Promise<void> {
    for (const file of written.toIngest) await this.files.ingestRestored(p, file);
  }

  /** Undoing a failed import: the folder goes with its files, passages and views. */
  deleteFolder(p: Principal, id: string): Promise<void> {
    return this.sources.delete(p, id);
  }
}
