import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { newId } from '../common/ids';
import { PageRequest, paginate } from '../common/pagination';
import { TenantRepository } from '../common/tenant.repository';
import { FileAgentEntity, FileContentEntity, FileEntity } from './file.entity';

export interface NewView {
  agentId: string;
  fileId: string;
  sourceId: string;
  fileName: string;
  /** Set: the view is created open, showing this. */
  visibleContent?: string | null;
}

/** The state of one agent's view of one file, as an agent file carries it. */
export interface RestoredView {
  fileId: string;
  isOpen: boolean;
  visibleContent: string | null;
  startLine: number | null;
  endLine: number | null;
  lastAccessedAt: Date | null;
}

export interface AgentFileFilter {
  isOpen?: boolean;
}

/** A file of an attached folder as one agent sees it, with its folder's name. */
export interface AgentFileView {
  view: FileAgentEntity;
  folderName: string;
}

@Injectable()
export class FilesRepository extends TenantRepository<FileEntity> {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super(ds.getRepository(FileEntity));
  }

  async insert(row: Partial<FileEntity>): Promise<void> {
    await this.repo.insert(row as QueryDeepPartialEntity<FileEntity>);
  }

  async update(organizationId: string, id: string, patch: Partial<FileEntity>): Promise<void> {
    await this.repo.update({ organizationId, id }, patch as QueryDeepPartialEntity<FileEntity>);
  }

  list(organizationId: string, sourceId: string, page: PageRequest): Promise<FileEntity[]> {
    const qb = this.scoped(organizationId, 'f').andWhere('f.source_id = :sourceId', { sourceId });
    return paginate(qb, 'f', page, 'File');
  }

  inSource(organizationId: string, sourceId: string, id: string): Promise<FileEntity | null> {
    return this.repo.findOneBy({ organizationId, sourceId, id });
  }

  allInSource(organizationId: string, sourceId: string): Promise<FileEntity[]> {
    return this.repo.find({ where: { organizationId, sourceId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  byOriginalName(organizationId: string, sourceId: string, originalFileName: string) {
    return this.repo.findOne({
      where: { organizationId, sourceId, originalFileName },
      order: { createdAt: 'ASC' },
    });
  }

  /** Names already taken in a folder that start with `stem` (for the `suffix` duplicate rule). */
  async namesLike(organizationId: string, sourceId: string, stem: string): Promise<Set<string>> {
    const rows: Array<{ file_name: string }> = await this.ds.query(
      `SELECT file_name FROM files WHERE organization_id = $1 AND source_id = $2 AND starts_with(file_name, $3)`,
      [organizationId, sourceId, stem],
    );
    return new Set(rows.map((r) => r.file_name));
  }

  async contentOf(organizationId: string, fileId: string): Promise<string | null> {
    const row = await this.ds.getRepository(FileContentEntity).findOneBy({ organizationId, fileId });
    return row?.text ?? null;
  }

  /** `m`: inside a transaction (embedded Postgres has one session: never leave it for another). */
  async contentsOf(
    organizationId: string,
    fileIds: string[],
    m?: EntityManager,
  ): Promise<Map<string, string>> {
    if (fileIds.length === 0) return new Map();
    const rows = await (m ?? this.ds.manager)
      .getRepository(FileContentEntity)
      .findBy({ organizationId, fileId: In(fileIds) });
    return new Map(rows.map((r) => [r.fileId, r.text]));
  }

  async saveContent(organizationId: string, fileId: string, text: string): Promise<void> {
    await this.ds.query(
      `INSERT INTO file_contents (file_id, organization_id, text) VALUES ($1, $2, $3)
       ON CONFLICT (file_id) DO UPDATE SET text = EXCLUDED.text`,
      [fileId, organizationId, text],
    );
  }

  /**
   * Creates agents' views of files (closed, or open with `content` visible), keeping views that
   * exist. Rows are created in the order given (a microsecond apart), which is the listing order.
   */
  async addViews(m: EntityManager, organizationId: string, rows: NewView[]): Promise<void> {
    if (rows.length === 0) return;
    await m.query(
      `INSERT INTO files_agents (id, organization_id, agent_id, file_id, source_id, file_name, is_open,
         visible_content, created_at)
       SELECT r.id, $1, r.agent_id, r.file_id, r.source_id, r.file_name, r.is_open, r.visible_content,
         clock_timestamp() + (r.n * interval '1 microsecond')
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[])
         WITH ORDINALITY AS r(id, agent_id, file_id, source_id, file_name, is_open, visible_content, n)
       ON CONFLICT (agent_id, file_id) DO NOTHING`,
      [
        organizationId,
        rows.map(() => newId('file_agent')),
        rows.map((r) => r.agentId),
        rows.map((r) => r.fileId),
        rows.map((r) => r.sourceId),
        rows.map((r) => r.fileName),
        rows.map((r) => r.visibleContent != null),
        rows.map((r) => r.visibleContent ?? null),
      ],
    );
  }

  /** Sets the state of an agent's views of these files (an agent file's `files_agents`), in one statement. */
  async restoreViews(m: EntityManager, organizationId: string, agentId: string, rows: RestoredView[]) {
    if (rows.length === 0) return;
    await m.query(
      `UPDATE files_agents fa SET is_open = r.is_open, visible_content = r.visible_content,
         start_line = r.start_line, end_line = r.end_line,
         last_accessed_at = COALESCE(r.last_accessed_at, now()), updated_at = now()
       FROM unnest($3::text[], $4::boolean[], $5::text[], $6::int[], $7::int[], $8::timestamptz[])
         AS r(file_id, is_open, visible_content, start_line, end_line, last_accessed_at)
       WHERE fa.organization_id = $1 AND fa.agent_id = $2 AND fa.file_id = r.file_id`,
      [
        organizationId,
        agentId,
        rows.map((r) => r.fileId),
        rows.map((r) => r.isOpen),
        rows.map((r) => (r.isOpen ? r.visibleContent : null)),
        rows.map((r) => (r.isOpen ? r.startLine : null)),
        rows.map((r) => (r.isOpen ? r.endLine : null)),
        rows.map((r) => r.lastAccessedAt?.toISOString() ?? null),
      ],
    );
  }

  /** Closes an agent's least recently used open files beyond `maxOpen`. */
  async enforceOpenLimit(m: EntityManager, organizationId: string, agentId: string, maxOpen: number) {
    await m.query(
      `UPDATE files_agents SET is_open = false, visible_content = NULL, start_line = NULL, end_line = NULL
       WHERE id IN (
         SELECT id FROM files_agents WHERE organization_id = $1 AND agent_id = $2 AND is_open
         ORDER BY last_accessed_at DESC, created_at DESC, id OFFSET $3)`,
      [organizationId, agentId, maxOpen],
    );
  }

  /** A folder's files in upload order, with the text of those that have been parsed. */
  async filesWithText(m: EntityManager, organizationId: string, sourceId: string) {
    const rows: Array<{ id: string; file_name: string; processing_status: string; text: string | null }> =
      await m.query(
        `SELECT f.id, f.file_name, f.processing_status, c.text FROM files f
         LEFT JOIN file_contents c ON c.file_id = f.id
         WHERE f.organization_id = $1 AND f.source_id = $2 ORDER BY f.created_at, f.id`,
        [organizationId, sourceId],
      );
    return rows.map((r) => ({
      id: r.id,
      fileName: r.file_name,
      completed: r.processing_status === 'completed',
      text: r.text,
    }));
  }

  view(organizationId: string, agentId: string, fileId: string): Promise<FileAgentEntity | null> {
    return this.ds.getRepository(FileAgentEntity).findOneBy({ organizationId, agentId, fileId });
  }

  viewsOf(organizationId: string, agentId: string): Promise<FileAgentEntity[]> {
    return this.ds
      .getRepository(FileAgentEntity)
      .find({ where: { organizationId, agentId }, order: { fileName: 'ASC' } });
  }

  viewsOfAgents(organizationId: string, agentIds: string[]): Promise<FileAgentEntity[]> {
    if (agentIds.length === 0) return Promise.resolve([]);
    return this.ds
      .getRepository(FileAgentEntity)
      .find({ where: { organizationId, agentId: In(agentIds) }, order: { fileName: 'ASC' } });
  }

  viewsOfFile(organizationId: string, fileId: string): Promise<FileAgentEntity[]> {
    return this.ds.getRepository(FileAgentEntity).findBy({ organizationId, fileId });
  }

  /** An agent's views paged by (created_at, id), one more than asked to tell whether more follow. */
  async pageViews(
    organizationId: string,
    agentId: string,
    f: AgentFileFilter,
    page: PageRequest,
  ): Promise<AgentFileView[]> {
    const qb = this.ds
      .getRepository(FileAgentEntity)
      .createQueryBuilder('fa')
      .where('fa.organization_id = :organizationId AND fa.agent_id = :agentId', { organizationId, agentId });
    if (f.isOpen !== undefined) qb.andWhere('fa.is_open = :isOpen', { isOpen: f.isOpen });
    const views = await paginate(qb, 'fa', page, 'File');
    const names = new Map(
      (
        await this.ds.query(`SELECT id, name FROM sources WHERE organization_id = $1 AND id = ANY($2)`, [
          organizationId,
          [...new Set(views.map((v) => v.sourceId))],
        ])
      ).map((r: { id: string; name: string }) => [r.id, r.name]),
    );
    return views.map((view) => ({ view, folderName: (names.get(view.sourceId) as string) ?? '' }));
  }

  async updateView(
    organizationId: string,
    agentId: string,
    fileId: string,
    patch: QueryDeepPartialEntity<FileAgentEntity>,
  ): Promise<boolean> {
    const result = await this.ds
      .getRepository(FileAgentEntity)
      .update({ organizationId, agentId, fileId }, patch);
    return (result.affected ?? 0) > 0;
  }

  /**
   * Opens one file for an agent with `content` visible and closes the least recently used open
   * files beyond `maxOpen`, in one transaction; answers the names of the files it closed.
   */
  async openView(
    organizationId: string,
    agentId: string,
    fileId: string,
    window: { content: string; startLine: number | null; endLine: number | null },
    maxOpen: number,
  ): Promise<string[]> {
    return this.ds.transaction(async (m) => {
      // Serializes concurrent opens by one agent so the limit holds.
      await m.query(`SELECT id FROM agents WHERE id = $1 FOR UPDATE`, [agentId]);
      await m.getRepository(FileAgentEntity).update(
        { organizationId, agentId, fileId },
        {
          isOpen: true,
          visibleContent: window.content,
          startLine: window.startLine,
          endLine: window.endLine,
          lastAccessedAt: new Date(),
        },
      );
      const open = await m.getRepository(FileAgentEntity).find({
        where: { organizationId, agentId, isOpen: true },
        order: { lastAccessedAt: 'DESC', createdAt: 'DESC', id: 'ASC' },
      });
      const evicted = open.filter((v) => v.fileId !== fileId).slice(Math.max(0, maxOpen - 1));
      if (evicted.length > 0)
        await m
          .getRepository(FileAgentEntity)
          .update(
            { organizationId, agentId, id: In(evicted.map((v) => v.id)) },
            { isOpen: false, visibleContent: null, startLine: null, endLine: null },
          );
      return evicted.map((v) => v.fileName);
    });
  }

  /** Closes every open file of an agent but those named; answers the names it closed. */
  async closeAll(organizationId: string, agentId: string, keepFileIds: string[] = []): Promise<string[]> {
    const [rows]: [Array<{ file_name: string }>, number] = await this.ds.query(
      `UPDATE files_agents SET is_open = false, visible_content = NULL, start_line = NULL, end_line = NULL,
         updated_at = now()
       WHERE organization_id = $1 AND agent_id = $2 AND is_open AND NOT (file_id = ANY($3))
       RETURNING file_name`,
      [organizationId, agentId, keepFileIds],
    );
    return rows.map((r) => r.file_name).sort();
  }

  /** Renames a folder's files in its agents' views (a folder's name is part of each file's path). */
  async renameFolderViews(organizationId: string, sourceId: string, oldName: string, newName: string) {
    await this.ds.query(
      `UPDATE files_agents SET file_name = $4 || substr(file_name, length($3) + 1)
       WHERE organization_id = $1 AND source_id = $2 AND starts_with(file_name, $3 || '/')`,
      [organizationId, sourceId, oldName, newName],
    );
  }

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }
}
