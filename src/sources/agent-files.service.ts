import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AgentEntity } from '../agents/agent.entity';
import { AgentsService } from '../agents/agents.service';
import { Principal } from '../common/auth/principal';
import { NotFoundError } from '../common/errors';
import { PageRequest } from '../common/pagination';
import { FileAgentEntity, FileEntity } from './file.entity';
import { fileWindow } from './file-window';
import { AgentFileFilter, FilesRepository, RestoredView } from './files.repository';

/** How many files an agent keeps open and how much of each it sees. */
export interface FilesConfig {
  maxFilesOpen: number;
  charLimit: number;
}

/**
 * Letta's defaults when an agent sets neither `max_files_open` nor
 * `per_file_view_window_char_limit`: more and larger windows for larger context windows.
 */
export function filesConfigOf(
  agent: Pick<AgentEntity, 'maxFilesOpen' | 'perFileViewWindowCharLimit' | 'llmConfig'>,
): FilesConfig {
  const window = Number(agent.llmConfig?.context_window) || 32_000;
  const [files, chars] =
    window <= 8_000
      ? [3, 5_000]
      : window <= 32_000
        ? [5, 15_000]
        : window <= 128_000
          ? [10, 25_000]
          : [10, 40_000];
  return {
    maxFilesOpen: agent.maxFilesOpen ?? files,
    charLimit: agent.perFileViewWindowCharLimit ?? chars,
  };
}

export interface AgentFilesPage {
  files: Record<string, unknown>[];
  next_cursor: string | null;
  has_more: boolean;
}

/**
 * Each agent's view of the files of its folders: which are open, what window of each it sees,
 * and when it last read each. Opening past the agent's limit closes the least recently used.
 */
@Injectable()
export class AgentFilesService {
  constructor(
    private readonly files: FilesRepository,
    private readonly agents: AgentsService,
  ) {}

  /** Every view the agent has, by file name. */
  async viewsOf(p: Principal, agentId: string): Promise<FileAgentEntity[]> {
    await this.agents.assertExists(p, agentId);
    return this.files.viewsOf(p.organizationId, agentId);
  }

  /**
   * Inside the transaction that creates an imported agent (its folders linked, so it has a view
   * of each file): each view takes the state the agent file gives it. An open view shows the
   * window the file recorded, or, when it has none or one past the agent's limit, the window
   * of its line range taken afresh from the file's text; past `max_files_open`, the least
   * recently used are closed.
   */
  async restoreViews(m: EntityManager, agent: AgentEntity, views: RestoredView[]): Promise<void> {
    if (views.length === 0) return;
    const config = filesConfigOf(agent);
    const redo = views.filter(
      (v) => v.isOpen && (v.visibleContent === null || v.visibleContent.length > config.charLimit),
    );
    const texts = await this.files.contentsOf(
      agent.organizationId,
      redo.map((v) => v.fileId),
      m,
    );
    const rows = views.map((v) => {
      if (!redo.includes(v)) return v;
      const ranged = v.startLine !== null;
      const w = fileWindow(
        texts.get(v.fileId) ?? '',
        ranged
          ? { offset: v.startLine! - 1, length: v.endLine !== null ? v.endLine - v.startLine! : null }
          : {},
        config.charLimit,
      );
      return {
        ...v,
        visibleContent: w.content,
        startLine: ranged ? w.startLine : null,
        endLine: ranged ? w.endLine : null,
      };
    });
    await this.files.restoreViews(m, agent.organizationId, agent.id, rows);
    await this.files.enforceOpenLimit(m, agent.organizationId, agent.id, config.maxFilesOpen);
  }

  async list(p: Principal, agentId: string, f: AgentFileFilter, page: PageRequest): Promise<AgentFilesPage> {
    await this.agents.assertExists(p, agentId);
    const rows = await this.files.pageViews(p.organizationId, agentId, f, { ...page, limit: page.limit + 1 });
    const more = rows.length > page.limit;
    const shown = page.before === undefined ? rows.slice(0, page.limit) : rows.slice(-page.limit);
    const last = shown[shown.length - 1];
    return {
      files: shown.map(({ view, folderName }) => ({
        id: view.id,
        file_id: view.fileId,
        file_name: view.fileName,
        folder_id: view.sourceId,
        folder_name: folderName,
        is_open: view.isOpen,
        last_accessed_at: view.lastAccessedAt.toISOString(),
        visible_content: view.isOpen ? view.visibleContent : null,
        start_line: view.startLine,
        end_line: view.endLine,
      })),
      next_cursor: more && last ? last.view.id : null,
      has_more: more,
    };
  }

  /** Opens a file (its whole text, or `length` lines from `offset`); answers the files closed for it. */
  async open(
    p: Principal,
    agentId: string,
    fileId: string,
    range: { offset?: number | null; length?: number | null } = {},
  ): Promise<string[]> {
    const agent = await this.agents.get(p, agentId);
    const view = await this.files.view(p.organizationId, agentId, fileId);
    if (!view) throw new NotFoundError('File', fileId);
    return this.openView(agent, view, range);
  }

  async openView(
    agent: AgentEntity,
    view: FileAgentEntity,
    range: { offset?: number | null; length?: number | null },
  ): Promise<string[]> {
    const config = filesConfigOf(agent);
    const text = (await this.files.contentOf(agent.organizationId, view.fileId)) ?? '';
    const w = fileWindow(text, range, config.charLimit);
    const ranged = range.offset != null || range.length != null;
    return this.files.openView(
      agent.organizationId,
      agent.id,
      view.fileId,
      { content: w.content, startLine: ranged ? w.startLine : null, endLine: ranged ? w.endLine : null },
      config.maxFilesOpen,
    );
  }

  async close(p: Principal, agentId: string, fileId: string): Promise<void> {
    await this.agents.assertExists(p, agentId);
    const closed = await this.files.updateView(p.organizationId, agentId, fileId, {
      isOpen: false,
      visibleContent: null,
      startLine: null,
      endLine: null,
    });
    if (!closed) throw new NotFoundError('File', fileId);
  }

  async closeAll(p: Principal, agentId: string, keepFileIds: string[] = []): Promise<string[]> {
    await this.agents.assertExists(p, agentId);
    return this.files.closeAll(p.organizationId, agentId, keepFileIds);
  }

  /**
   * A file finished ingesting: every agent with its folder opens it (as Letta does), closing the
   * least recently used file past its limit.
   */
  async openForAgents(organizationId: string, file: FileEntity): Promise<void> {
    for (const view of await this.files.viewsOfFile(organizationId, file.id)) {
      const agent = await this.agents.get({ organizationId, userId: '' }, view.agentId).catch(() => null);
      if (agent) await this.openView(agent, view, {});
    }
  }
}
