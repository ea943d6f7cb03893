import { Injectable } from '@nestjs/common';
import type { ToolExecutionResult } from '@engram/agent-runtime';
import type { EntityManager } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { EmbeddingsService } from '../archival/embeddings.service';
import { fuse, legDepth } from '../archival/hybrid';
import { newId } from '../common/ids';
import type { ToolExecutionContext, ToolExecutor } from '../tools/tool-executors';
import type { ToolEntity } from '../tools/tool.entity';
import { ToolsRepository } from '../tools/tools.repository';
import { AgentFilesService } from './agent-files.service';
import { FilePassagesRepository } from './file-passages.repository';
import { FILE_TOOL_NAMES, FILE_TOOL_SPECS, FILE_TOOL_TYPE } from './file-tools';
import { splitLines } from './file-window';
import { FilesRepository } from './files.repository';
import { grepFiles, MAX_PATTERN_CHARS } from './grep';
import { SourcesRepository } from './sources.repository';

const GREP_PAGE = 20;
const MAX_CONTEXT_LINES = 10;
const MAX_SEARCH_RESULTS = 50;

/**
 * The agent's file tools: kept as rows in each organization's tool table (type
 * `letta_files_core`), attached with an agent's first folder and detached with its last, and
 * executed here against the agent's folders.
 */
@Injectable()
export class FileToolsService implements ToolExecutor {
  readonly name = 'files';
  private readonly ensured = new Set<string>();

  constructor(
    private readonly tools: ToolsRepository,
    private readonly files: FilesRepository,
    private readonly sources: SourcesRepository,
    private readonly passages: FilePassagesRepository,
    private readonly agentFiles: AgentFilesService,
    private readonly agents: AgentsService,
    private readonly embeddings: EmbeddingsService,
  ) {}

  canExecute(tool: ToolEntity): boolean {
    return tool.toolType === FILE_TOOL_TYPE && FILE_TOOL_NAMES.includes(tool.name);
  }

  /** Makes sure the organization has the file tool rows (call outside any transaction). */
  async ensure(organizationId: string): Promise<void> {
    if (this.ensured.has(organizationId)) return;
    await this.tools.upsertByName(
      FILE_TOOL_SPECS.map((spec) => ({
        id: newId('tool'),
        organizationId,
        name: spec.name,
        description: spec.description,
        toolType: FILE_TOOL_TYPE,
        sourceType: 'python',
        jsonSchema: { name: spec.name, description: spec.description, parameters: spec.parameters },
        tags: [FILE_TOOL_TYPE],
        returnCharLimit: 50_000,
      })),
    );
    this.ensured.add(organizationId);
  }

  /** The file tools' ids by name (made by `ensure`). */
  async ids(organizationId: string): Promise<Map<string, string>> {
    const rows = await this.tools.findByNames(organizationId, [...FILE_TOOL_NAMES]);
    return new Map(rows.filter((t) => t.toolType === FILE_TOOL_TYPE).map((t) => [t.name, t.id]));
  }

  /** Attaches the file tools (made by `ensure`) to an agent inside `m`. */
  async attach(m: EntityManager, organizationId: string, agentId: string): Promise<void> {
    const rows: Array<{ id: string }> = await m.query(
      `SELECT id FROM tools WHERE organization_id = $1 AND name = ANY($2) AND tool_type = $3`,
      [organizationId, [...FILE_TOOL_NAMES], FILE_TOOL_TYPE],
    );
    await this.tools.attach(
      organizationId,
      agentId,
      rows.map((t) => t.id),
      m,
    );
  }

  /** Detaches the file tools once the agent has no folder left. */
  async detachIfNoFolders(organizationId: string, agentId: string): Promise<void> {
    if ((await this.sources.forAgents(organizationId, [agentId])).get(agentId)?.length) return;
    for (const t of await this.tools.findByNames(organizationId, [...FILE_TOOL_NAMES]))
      await this.tools.detach(organizationId, agentId, t.id);
  }

  async execute(
    tool: ToolEntity,
    args: Record<string, unknown>,
    ctx: ToolExecutionContext,
  ): Promise<ToolExecutionResult> {
    try {
      const text =
        tool.name === 'open_files'
          ? await this.openFiles(ctx, args)
          : tool.name === 'grep_files'
            ? await this.grep(ctx, args)
            : await this.search(ctx, args);
      return { status: 'success', funcReturn: text };
    } catch (e) {
      return {
        status: 'error',
        funcReturn: e instanceof ToolInputError ? e.message : `Error: ${(e as Error).message}`,
      };
    }
  }

  private async openFiles(ctx: ToolExecutionContext, args: Record<string, unknown>): Promise<string> {
    const requests = args.file_requests;
    if (!Array.isArray(requests) || requests.length === 0)
      throw new ToolInputError('file_requests: give at least one {file_name, offset?, length?}');
    const agent = await this.agents.get(ctx.principal, ctx.agentId);
    const views = await this.files.viewsOf(ctx.principal.organizationId, ctx.agentId);
    const wanted = requests.map((r: Record<string, unknown>) => {
      const name = typeof r?.file_name === 'string' ? r.file_name : '';
      const view =
        views.find((v) => v.fileName === name) ??
        unique(views.filter((v) => v.fileName.endsWith(`/${name}`)));
      if (!view) throw new ToolInputError(`File '${name}' is not in any of your folders; see <directories>`);
      return { view, offset: intOrNull(r.offset), length: intOrNull(r.length) };
    });
    const lines: string[] = [];
    const closed = new Set<string>();
    if (args.close_all_others === true)
      for (const n of await this.files.closeAll(
        ctx.principal.organizationId,
        ctx.agentId,
        wanted.map((w) => w.view.fileId),
      ))
        closed.add(n);
    for (const w of wanted) {
      for (const n of await this.agentFiles.openView(agent, w.view, { offset: w.offset, length: w.length }))
        closed.add(n);
      const range =
        w.offset != null || w.length != null
          ? ` (lines ${(w.offset ?? 0) + 1} to ${w.length != null ? (w.offset ?? 0) + w.length : 'end'})`
          : '';
      lines.push(`* Opened ${w.view.fileName}${range}`);
    }
    for (const w of wanted) closed.delete(w.view.fileName);
    if (closed.size)
      lines.push(`Note: closed ${[...closed].sort().join(', ')} to stay within the open-file limit.`);
    return lines.join('\n');
  }

  private async grep(ctx: ToolExecutionContext, args: Record<string, unknown>): Promise<string> {
    const pattern = typeof args.pattern === 'string' ? args.pattern : '';
    if (!pattern) throw new ToolInputError('pattern: give a keyword or regular expression');
    if (pattern.length > MAX_PATTERN_CHARS)
      throw new ToolInputError(`pattern: at most ${MAX_PATTERN_CHARS} characters`);
    const include = typeof args.include === 'string' && args.include ? args.include : null;
    for (const [field, p] of [
      ['pattern', pattern],
      ['include', include],
    ] as const)
      if (p !== null)
        try {
          new RegExp(p, 'i');
        } catch (e) {
          throw new ToolInputError(`${field}: not a valid regular expression: ${(e as Error).message}`);
        }
    const context = Math.min(MAX_CONTEXT_LINES, Math.max(0, intOrNull(args.context_lines) ?? 1));
    const offset = Math.max(0, intOrNull(args.offset) ?? 0);
    const org = ctx.principal.organizationId;
    const views = await this.files.viewsOf(org, ctx.agentId);
    const includeRe = include ? new RegExp(include, 'i') : null;
    const chosen = views.filter((v) => !includeRe || includeRe.test(v.fileName.slice(0, 1_000)));
    const texts = await this.files.contentsOf(
      org,
      chosen.map((v) => v.fileId),
    );
    const files = chosen
      .filter((v) => texts.has(v.fileId))
      .map((v) => ({ name: v.fileName, text: texts.get(v.fileId)! }));
    const { matches, timedOut } = await grepFiles(pattern, files);
    if (matches.length === 0)
      return `No matches found for pattern '${pattern}'${include ? ` in files matching '${include}'` : ''}${timedOut ? ' (the search stopped at its time limit)' : ''}.`;
    const perFile = new Map<string, number>();
    for (const m of matches) perFile.set(m.file, (perFile.get(m.file) ?? 0) + 1);
    const page = matches.slice(offset, offset + GREP_PAGE);
    const out = [
      `Found ${matches.length} matches in ${perFile.size} files for pattern '${pattern}'${
        timedOut ? ' (the search stopped at its time limit; there may be more)' : ''
      }:`,
      ...[...perFile].map(([f, n]) => `- ${f}: ${n} match${n === 1 ? '' : 'es'}`),
      '',
      page.length
        ? `Showing matches ${offset + 1}-${offset + page.length}:`
        : `No matches past offset ${offset}.`,
    ];
    const lines = new Map(files.map((f) => [f.name, splitLines(f.text)]));
    for (const m of page) {
      const all = lines.get(m.file) ?? [];
      out.push(`=== ${m.file}:${m.line} ===`);
      for (let i = Math.max(1, m.line - context); i <= Math.min(all.length, m.line + context); i++)
        out.push(`${i === m.line ? '>' : ' '} ${i}: ${all[i - 1]}`);
    }
    if (offset + page.length < matches.length)
      out.push('', `More matches: call grep_files again with offset=${offset + page.length}.`);
    return out.join('\n');
  }

  private async search(ctx: ToolExecutionContext, args: Record<string, unknown>): Promise<string> {
    const query = typeof args.query === 'string' ? args.query.trim() : '';
    if (!query) throw new ToolInputError('query: give what to look for');
    const limit = Math.min(MAX_SEARCH_RESULTS, Math.max(1, intOrNull(args.limit) ?? 5));
    const org = ctx.principal.organizationId;
    const folders = (await this.sources.forAgents(org, [ctx.agentId])).get(ctx.agentId) ?? [];
    if (folders.length === 0) return 'You have no folders attached.';
    // One query vector per embedding model among the folders, each searching its folders.
    const byHandle = new Map<string, string[]>();
    for (const f of folders) {
      const h = this.embeddings.handleOf(f.embeddingConfig);
      byHandle.set(h, [...(byHandle.get(h) ?? []), f.id]);
    }
    const depth = legDepth(limit);
    const hits = [];
    for (const [handle, sourceIds] of byHandle) {
      const { vectors } = await this.embeddings.embed(handle, [query]);
      hits.push(...(await this.passages.search(org, sourceIds, { text: query, vector: vectors[0] }, depth)));
    }
    const ranked = fuse(hits, limit);
    if (ranked.length === 0) return `No passages found for "${query}".`;
    return [
      `Found ${ranked.length} passages for "${query}":`,
      ...ranked.map(({ item: h }, i) => {
        const where = h.startLine != null ? ` (lines ${h.startLine}-${h.endLine})` : '';
        return `\n${i + 1}. ${h.fileName}${where}:\n${h.text}`;
      }),
    ].join('\n');
  }
}

/** A mistake in the model's arguments, answered as a failed tool return it can read. */
class ToolInputError extends Error {}

function intOrNull(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}

function unique<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}
