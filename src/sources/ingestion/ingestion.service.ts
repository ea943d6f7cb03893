import { Injectable, Logger } from '@nestjs/common';
import { EmbeddingsService } from '../../archival/embeddings.service';
import { DomainError } from '../../common/errors';
import { newId } from '../../common/ids';
import { JobsService } from '../../jobs/jobs.service';
import { AgentFilesService } from '../agent-files.service';
import { FileEntity } from '../file.entity';
import { FilePassagesRepository } from '../file-passages.repository';
import { FileStorage } from '../file-storage';
import { parserFor } from '../file-types';
import { FilesRepository } from '../files.repository';
import { FROM_AGENT_FILE } from '../files.service';
import { SourcesRepository } from '../sources.repository';
import { chunkText } from './chunker';
import { ParseError, parseFile } from './parsers';

/** Chunks embedded per embedding call (and per progress update). */
const EMBED_BATCH = 64;
/** Overlap between consecutive chunks, as a share of the chunk size. */
const OVERLAP = 0.15;

export type IngestOutcome = 'completed' | 'error' | 'cancelled' | 'skipped';

/** A failure worth trying again (the embedding provider, the database): the queue retries it. */
export class TransientIngestionError extends Error {}

/**
 * Ingests one stored file: parse → chunk (token-aware, overlapping, with line numbers) → embed
 * in batches with the folder's model → passages linked to the file and folder. The job carries
 * only ids; running it again for a file that completed does nothing, and a retry first removes
 * what an interrupted attempt wrote, so a file's passages are never doubled.
 */
@Injectable()
export class IngestionService {
  private readonly logger = new Logger(IngestionService.name);

  constructor(
    private readonly files: FilesRepository,
    private readonly sources: SourcesRepository,
    private readonly storage: FileStorage,
    private readonly passages: FilePassagesRepository,
    private readonly embeddings: EmbeddingsService,
    private readonly jobs: JobsService,
    private readonly agentFiles: AgentFilesService,
  ) {}

  async run(organizationId: string, jobId: string, fileId: string): Promise<IngestOutcome> {
    const file = await this.files.findById(organizationId, fileId);
    if (!file) {
      await this.jobs.fail(organizationId, jobId, `File '${fileId}' no longer exists`);
      return 'skipped';
    }
    if (file.processingStatus === 'completed' || file.processingStatus === 'error') {
      await this.jobs.complete(organizationId, jobId);
      return 'skipped';
    }
    const job = await this.jobs.startAttempt(organizationId, jobId);
    if (!job) return 'cancelled';
    try {
      return await this.ingest(organizationId, jobId, file, job.metadata?.[FROM_AGENT_FILE] === true);
    } catch (e) {
      if (isTransient(e)) throw new TransientIngestionError((e as Error).message);
      const message = e instanceof ParseError || e instanceof DomainError ? e.message : 'Ingestion failed';
      if (!(e instanceof ParseError || e instanceof DomainError))
        this.logger.error({ err: e, fileId, jobId }, 'file ingestion failed');
      await this.fail(organizationId, jobId, file, message);
      return 'error';
    }
  }

  /** The last attempt of a transient failure: the file ends in `error`. */
  async giveUp(organizationId: string, jobId: string, fileId: string, message: string): Promise<void> {
    const file = await this.files.findById(organizationId, fileId);
    if (file) await this.fail(organizationId, jobId, file, message);
    else await this.jobs.fail(organizationId, jobId, message);
  }

  /** A cancelled job's file ends in `error` and keeps none of its passages. */
  async cancelled(organizationId: string, fileId: string): Promise<void> {
    const file = await this.files.findById(organizationId, fileId);
    if (!file || file.processingStatus === 'completed' || file.processingStatus === 'error') return;
    await this.passages.deleteForFile(organizationId, fileId);
    await this.files.update(organizationId, fileId, {
      processingStatus: 'error',
      errorMessage: 'Ingestion was cancelled',
    });
  }

  /**
   * `restored`: the file came from an agent file, which carries its parsed text (stored at
   * import) and not its bytes; its agents' views keep the state the import gave them.
   */
  private async ingest(
    organizationId: string,
    jobId: string,
    file: FileEntity,
    restored: boolean,
  ): Promise<IngestOutcome> {
    const source = await this.sources.findById(organizationId, file.sourceId);
    if (!source) {
      await this.jobs.fail(organizationId, jobId, `Folder '${file.sourceId}' no longer exists`);
      return 'skipped';
    }
    await this.files.update(organizationId, file.id, { processingStatus: 'parsing', errorMessage: null });
    await this.jobs.progress(organizationId, jobId, { stage: 'parsing' });
    let text: string;
    if (restored) {
      const stored = await this.files.contentOf(organizationId, file.id);
      if (stored === null) throw new ParseError('The file has no stored text to ingest');
      text = stored;
    } else {
      const bytes: Buffer[] = [];
      for await (const slice of this.storage.read(organizationId, file.id)) bytes.push(slice);
      text = await parseFile(parserFor(file.fileName, file.fileType), Buffer.concat(bytes));
      await this.files.saveContent(organizationId, file.id, text);
    }

    const chunkTokens = Number(source.embeddingConfig.embedding_chunk_size) || 300;
    const chunks = chunkText(text, { chunkTokens, overlapTokens: Math.round(chunkTokens * OVERLAP) });
    // A retry starts clean: whatever an interrupted attempt embedded is removed first.
    await this.passages.deleteForFile(organizationId, file.id);
    await this.files.update(organizationId, file.id, {
      processingStatus: 'embedding',
      totalChunks: chunks.length,
      chunksEmbedded: 0,
    });
    await this.jobs.progress(organizationId, jobId, { stage: 'embedding', done: 0, total: chunks.length });

    const handle = this.embeddings.handleOf(source.embeddingConfig);
    const fileName = `${source.name}/${file.fileName}`;
    for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
      if (!(await this.jobs.isActive(organizationId, jobId))) {
        await this.cancelled(organizationId, file.id);
        return 'cancelled';
      }
      const batch = chunks.slice(i, i + EMBED_BATCH);
      const { vectors } = await this.embeddings.embed(
        handle,
        batch.map((c) => c.text),
      );
      await this.passages.insert(
        organizationId,
        { id: file.id, sourceId: file.sourceId, fileName },
        source.embeddingConfig,
        batch.map((c, k) => ({
          id: newId('passage'),
          text: c.text,
          startLine: c.startLine,
          endLine: c.endLine,
          embedding: vectors[k],
        })),
      );
      const done = Math.min(chunks.length, i + EMBED_BATCH);
      await this.files.update(organizationId, file.id, { chunksEmbedded: done });
      await this.jobs.progress(organizationId, jobId, { stage: 'embedding', done, total: chunks.length });
    }
    if (!(await this.jobs.isActive(organizationId, jobId))) {
      await this.cancelled(organizationId, file.id);
      return 'cancelled';
    }
    // Agents with the folder open the file before anyone can see it completed (a restored
    // file's views are as the agent file left them).
    if (!restored) await this.agentFiles.openForAgents(organizationId, file);
    await this.files.update(organizationId, file.id, { processingStatus: 'completed' });
    await this.jobs.complete(organizationId, jobId);
    return 'completed';
  }

  private async fail(organizationId: string, jobId: string, file: FileEntity, message: string) {
    await this.passages.deleteForFile(organizationId, file.id);
    await this.files.update(organizationId, file.id, { processingStatus: 'error', errorMessage: message });
    await this.jobs.fail(organizationId, jobId, message);
  }
}

/** A provider outage or a lost database connection may pass; a bad file or model will not. */
function isTransient(e: unknown): boolean {
  if (e instanceof DomainError) return e.code === 'embedding_provider_error';
  const code = (e as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P01' || code === '08006';
}
