import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { Principal } from '../common/auth/principal';
import { ConflictError, DomainError, InvalidInputError, NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { PageRequest } from '../common/pagination';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { JobsService } from '../jobs/jobs.service';
import { DuplicateHandling } from './dto/source.dto';
import { FileEntity } from './file.entity';
import { FileStorage } from './file-storage';
import { fileTypeOf } from './file-types';
import { FilesRepository } from './files.repository';
import { SourcesRepository } from './sources.repository';
import { SourcesService } from './sources.service';

/** An upload as the edge hands it over: the name, the declared type and the byte stream. */
export interface IncomingFile {
  filename: string;
  mimetype: string | undefined;
  stream: Readable;
  /** True once the stream was cut at the size limit. */
  truncated(): boolean;
}

/** Who starts a file's ingestion once it is stored (the ingestion queue). */
export abstract class IngestionScheduler {
  abstract schedule(organizationId: string, jobId: string, fileId: string): Promise<void>;
}

/** A file carried by an agent file: its metadata and parsed text, without its original bytes. */
export interface RestoredFile {
  fileName: string;
  originalFileName: string;
  fileType: string | null;
  fileSize: number | null;
  /** null: the agent file holds no text for it (the file is stored in `error`). */
  text: string | null;
  errorMessage?: string | null;
}

/** The `metadata` flag of an ingestion job whose file came from an agent file (its text is stored, not its bytes). */
export const FROM_AGENT_FILE = 'from_agent_file';

export interface UploadResult {
  file: FileEntity;
  /** `skip` found a file of that name: nothing was stored. */
  skipped: boolean;
}

/** Files in folders: upload (stored, then ingested by a job), list, read, delete. */
@Injectable()
export class FilesService {
  constructor(
    private readonly files: FilesRepository,
    private readonly sourceRows: SourcesRepository,
    private readonly sources: SourcesService,
    private readonly storage: FileStorage,
    private readonly jobs: JobsService,
    private readonly scheduler: IngestionScheduler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The largest file an upload may carry (ENGRAM_FILE_UPLOAD_LIMIT_MB). */
  uploadLimitBytes(): number {
    return this.config.http.fileUploadLimitBytes;
  }

  /**
   * Stores an upload and starts its ingestion; answers at once with the file `pending`.
   * The folder and the type are checked before a byte is stored.
   */
  async upload(
    p: Principal,
    sourceId: string,
    incoming: IncomingFile,
    opts: { duplicateHandling?: DuplicateHandling; name?: string },
  ): Promise<UploadResult> {
    const source = await this.sources.get(p, sourceId);
    const original = opts.name ?? sanitizeName(incoming.filename);
    const type = fileTypeOf(original, incoming.mimetype);
    const handling = opts.duplicateHandling ?? 'suffix';
    const existing = await this.files.byOriginalName(p.organizationId, sourceId, original);
    let fileName = original;
    if (existing) {
      if (handling === 'error')
        throw new InvalidInputError(
          `duplicate_handling: a file named '${original}' already exists in folder '${source.name}'`,
          'duplicate_file',
        );
      if (handling === 'skip') {
        incoming.stream.resume();
        return { file: existing, skipped: true };
      }
      if (handling === 'replace') await this.delete(p, sourceId, existing.id);
      else fileName = await this.uniqueName(p.organizationId, sourceId, original);
    } else if (
      await this.files.namesLike(p.organizationId, sourceId, original).then((s) => s.has(original))
    ) {
      fileName = await this.uniqueName(p.organizationId, sourceId, original);
    }
    const id = newId('file');
    await this.insertUnique(fileName, {
      id,
      organizationId: p.organizationId,
      sourceId,
      fileName,
      originalFileName: original,
      fileType: type.mime,
      fileSize: null,
      processingStatus: 'pending',
    });
    let size: number;
    try {
      size = await this.storage.write(p.organizationId, id, incoming.stream);
    } catch (e) {
      await this.files.deleteById(p.organizationId, id);
      throw e;
    }
    if (incoming.truncated()) {
      await this.files.deleteById(p.organizationId, id);
      const mb = Number((this.uploadLimitBytes() / (1024 * 1024)).toFixed(2));
      throw new DomainError(
        413,
        'payload_too_large',
        `file: larger than the limit of ${mb} MB (ENGRAM_FILE_UPLOAD_LIMIT_MB)`,
      );
    }
    await this.files.update(p.organizationId, id, { fileSize: size });
    const agentIds = await this.sourceRows.allAgentIds(p.organizationId, sourceId);
    const stored = (await this.files.findById(p.organizationId, id))!;
    await this.sources.addViews(p, agentIds, source, stored);
    const job = await this.jobs.create(p.organizationId, p.userId, {
      type: 'embedding',
      file_id: id,
      source_id: sourceId,
      filename: fileName,
    });
    await this.scheduler.schedule(p.organizationId, job.id, id);
    return { file: stored, skipped: false };
  }

  /**
   * Stores a file of an agent file in a folder: its row and its text (an import has the parsed
   * text, not the original bytes). It stays `pending` until `ingestRestored` queues its job.
   */
  async restore(p: Principal, sourceId: string, f: RestoredFile): Promise<FileEntity> {
    const id = newId('file');
    await this.insertUnique(f.fileName, {
      id,
      organizationId: p.organizationId,
      sourceId,
      fileName: f.fileName,
      originalFileName: f.originalFileName,
      fileType: f.fileType,
      fileSize: f.fileSize,
      processingStatus: f.text === null ? 'error' : 'pending',
      errorMessage:
        f.text === null
          ? (f.errorMessage ?? 'The agent file it was imported from held no text for it')
          : null,
    });
    if (f.text !== null) await this.files.saveContent(p.organizationId, id, f.text);
    return (await this.files.findById(p.organizationId, id))!;
  }

  /** Queues the ingestion (chunk, embed, passages) of a restored file, from its stored text. */
  async ingestRestored(p: Principal, file: FileEntity): Promise<void> {
    const job = await this.jobs.create(p.organizationId, p.userId, {
      type: 'embedding',
      file_id: file.id,
      source_id: file.sourceId,
      filename: file.fileName,
      [FROM_AGENT_FILE]: true,
    });
    await this.scheduler.schedule(p.organizationId, job.id, file.id);
  }

  /** Every file of a folder, in upload order. */
  async allInFolder(p: Principal, sourceId: string): Promise<FileEntity[]> {
    await this.sources.get(p, sourceId);
    return this.files.allInSource(p.organizationId, sourceId);
  }

  async list(p: Principal, sourceId: string, page: PageRequest): Promise<FileEntity[]> {
    await this.sources.get(p, sourceId);
    return this.files.list(p.organizationId, sourceId, page);
  }

  async get(p: Principal, sourceId: string, fileId: string): Promise<FileEntity> {
    await this.sources.get(p, sourceId);
    const file = await this.files.inSource(p.organizationId, sourceId, fileId);
    if (!file) throw new NotFoundError('File', fileId);
    return file;
  }

  contentOf(organizationId: string, fileId: string): Promise<string | null> {
    return this.files.contentOf(organizationId, fileId);
  }

  contentsOf(organizationId: string, fileIds: string[]): Promise<Map<string, string>> {
    return this.files.contentsOf(organizationId, fileIds);
  }

  /** Deletes a file: its bytes, text, passages and every agent's view go with it. */
  async delete(p: Principal, sourceId: string, fileId: string): Promise<void> {
    await this.get(p, sourceId, fileId);
    await this.storage.delete(p.organizationId, fileId);
    await this.files.deleteById(p.organizationId, fileId);
  }

  private async insertUnique(name: string, row: Parameters<FilesRepository['insert']>[0]): Promise<void> {
    try {
      await this.files.insert(row);
    } catch (e) {
      const err = e as { code?: string; driverError?: { code?: string } };
      if ((err.driverError?.code ?? err.code) === '23505')
        throw new ConflictError(`A file named '${name}' is being uploaded to this folder at the same time`);
      throw e;
    }
  }

  /** `name.ext` → `name_(1).ext`, `name_(2).ext`, ... (Letta's suffix rule). */
  private async uniqueName(organizationId: string, sourceId: string, original: string): Promise<string> {
    const dot = original.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [original.slice(0, dot), original.slice(dot)] : [original, ''];
    const taken = await this.files.namesLike(organizationId, sourceId, stem);
    for (let n = 1; ; n++) {
      const candidate = `${stem}_(${n})${ext}`;
      if (!taken.has(candidate)) return candidate;
    }
  }
}

/** The last path segment, without control characters; never empty. */
function sanitizeName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (!base || base === '.' || base === '..')
    throw new InvalidInputError('file: the upload has no file name');
  return base.slice(0, 500);
}
