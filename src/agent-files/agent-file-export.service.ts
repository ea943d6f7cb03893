import { Injectable } from '@nestjs/common';
import { AgentsService } from '../agents/agents.service';
import { AgentFilesService } from '../sources/agent-files.service';
import { FileEntity } from '../sources/file.entity';
import { FilesService } from '../sources/files.service';
import { Principal } from '../common/auth/principal';
import { BadRequestError, NotFoundError } from '../common/errors';
import { VERSION } from '../common/version';
import { toAfMessage } from './af-messages';
import { AgentFilesRepository } from './agent-files.repository';

export interface ExportOptions {
  /** Leave the message history out (Letta's `scrub_messages`). */
  scrubMessages?: boolean;
  /** Export this conversation's messages instead of the agent's (Letta's `conversation_id`). */
  conversationId?: string | null;
  /** Letta's deprecated single-agent format, which Letta itself no longer writes. */
  useLegacyFormat?: boolean;
}

type Json = Record<string, unknown>;

/** Messages are read and serialized this many at a time, giving the event loop back in between. */
const PAGE = 500;
/** Placeholders, as JSON.stringify writes them (stored text never holds a NUL, so they are unique). */
const MESSAGES = '"\\u0000messages"';
const IN_CONTEXT = '"\\u0000in_context"';
const FILES = '"\\u0000files"';

/** The fields of a tool that an agent file carries (Letta's ToolSchema). */
const TOOL_FIELDS = [
  'tool_type',
  'description',
  'source_type',
  'name',
  'tags',
  'source_code',
  'json_schema',
  'args_json_schema',
  'return_char_limit',
  'pip_requirements',
  'npm_requirements',
  'default_requires_approval',
  'enable_parallel_execution',
  'created_by_id',
  'last_updated_by_id',
  'metadata_',
];
/** ... and of a block (Letta's BlockSchema). */
const BLOCK_FIELDS = [
  'value',
  'limit',
  'project_id',
  'template_name',
  'is_template',
  'template_id',
  'base_template_id',
  'deployment_id',
  'entity_id',
  'preserve_on_migration',
  'label',
  'read_only',
  'description',
  'metadata',
  'hidden',
  'tags',
];

/**
 * GET /v1/agents/:id/export: the agent as a Letta agent file (AgentFileSchema, the "v2" format):
 * its config, memory blocks, tools with their source, tool rules, message history, folders
 * with their files' text and its view of each file, with file-local ids (`agent-0`, `block-0`,
 * `tool-0`, `message-0`, `source-0`, `file-0`, `file_agent-0`) and secrets' values blanked.
 * The text is produced page by page, so a long history never holds the event loop.
 */
@Injectable()
export class AgentFileExportService {
  constructor(
    private readonly agents: AgentsService,
    private readonly files: AgentFilesRepository,
    private readonly folderFiles: FilesService,
    private readonly views: AgentFilesService,
  ) {}

  /** Checks everything that can fail with a 4xx before the first byte is sent. */
  async export(p: Principal, agentId: string, opts: ExportOptions = {}): Promise<AsyncIterable<string>> {
    if (opts.useLegacyFormat)
      throw new BadRequestError('use_legacy_format: the legacy format is not supported');
    const state = await this.agents.getState(p, agentId);
    // Conversations are not stored yet, so no conversation id can name one of this agent's.
    if (opts.conversationId) throw new NotFoundError('Conversation', opts.conversationId);
    const folders = await this.folders(p, state);
    return this.write(p, state, folders, opts.scrubMessages === true);
  }

  /**
   * The agent's folders (Letta's SourceSchema), every file of them without its text (read file
   * by file as it is written), and its view of each (FileAgentSchema), with file-local ids.
   */
  private async folders(p: Principal, state: Json) {
    const sources = state.sources as Json[];
    const sourceIds = new Map(sources.map((s, i) => [s.id as string, `source-${i}`]));
    const files: FileEntity[] = [];
    for (const s of sources) files.push(...(await this.folderFiles.allInFolder(p, s.id as string)));
    const fileIds = new Map(files.map((f, i) => [f.id, `file-${i}`]));
    const views = (await this.views.viewsOf(p, state.id as string)).filter((v) => fileIds.has(v.fileId));
    return {
      sourceIds: sources.map((s) => sourceIds.get(s.id as string)!),
      sources: sources.map((s) => ({
        name: s.name,
        description: s.description ?? null,
        instructions: s.instructions ?? null,
        metadata: s.metadata ?? null,
        embedding: null,
        embedding_chunk_size: null,
        embedding_config: s.embedding_config,
        id: sourceIds.get(s.id as string),
      })),
      files: files.map((f) => ({
        file: f,
        schema: {
          source_id: sourceIds.get(f.sourceId),
          file_name: f.fileName,
          original_file_name: f.originalFileName,
          file_path: f.filePath,
          file_type: f.fileType,
          file_size: f.fileSize,
          file_creation_date: null,
          file_last_modified_date: null,
          processing_status: f.processingStatus,
          error_message: f.errorMessage,
          total_chunks: f.totalChunks,
          chunks_embedded: f.chunksEmbedded,
          content: null as string | null,
          id: fileIds.get(f.id),
        },
      })),
      filesAgents: views.map((v, i) => ({
        agent_id: 'agent-0',
        file_id: fileIds.get(v.fileId),
        source_id: sourceIds.get(v.sourceId),
        file_name: v.fileName,
        is_open: v.isOpen,
        visible_content: v.isOpen ? v.visibleContent : null,
        last_accessed_at: v.lastAccessedAt.toISOString(),
        start_line: v.startLine,
        end_line: v.endLine,
        id: `file_agent-${i}`,
      })),
    };
  }

  private async *write(
    p: Principal,
    state: Json,
    folders: Awaited<ReturnType<AgentFileExportService['folders']>>,
    scrub: boolean,
  ): AsyncIterable<string> {
    const tools = [...(state.tools as Json[])].sort(byText('name'));
    const blocks = [...(state.blocks as Json[])].sort(byText('label'));
    const toolIds = new Map(tools.map((t, i) => [t.id as string, `tool-${i}`]));
    const blockIds = new Map(blocks.map((b, i) => [b.id as string, `block-${i}`]));
    const blank = Object.fromEntries((state.secrets as Json[]).map((s) => [s.key as string, '']));
    const agent: Json = {
      name: state.name,
      memory_blocks: [],
      tools: [],
      tool_ids: (state.tools as Json[]).map((t) => toolIds.get(t.id as string)),
      source_ids: folders.sourceIds,
      folder_ids: null,
      block_ids: (state.blocks as Json[]).map((b) => blockIds.get(b.id as string)),
      tool_rules: state.tool_rules,
      tags: state.tags,
      system: state.system,
      agent_type: state.agent_type,
      initial_message_sequence: null,
      include_base_tools: false,
      include_multi_agent_tools: false,
      include_base_tool_rules: false,
      include_default_source: false,
      description: state.description,
      metadata: state.metadata,
      llm_config: state.llm_config,
      embedding_config: state.embedding_config,
      model: null,
      embedding: null,
      model_settings: state.model_settings,
      compaction_settings: state.compaction_settings,
      context_window_limit: null,
      embedding_chunk_size: null,
      max_tokens: null,
      max_reasoning_tokens: null,
      enable_reasoner: null,
      reasoning: null,
      from_template: null,
      template: false,
      project: null,
      tool_exec_environment_variables: blank,
      secrets: blank,
      memory_variables: null,
      project_id: state.project_id,
      template_id: state.template_id,
      base_template_id: state.base_template_id,
      identity_ids: null,
      message_buffer_autoclear: state.message_buffer_autoclear,
      enable_sleeptime: state.enable_sleeptime,
      response_format: state.response_format,
      timezone: state.timezone,
      max_files_open: state.max_files_open,
      per_file_view_window_char_limit: state.per_file_view_window_char_limit,
      hidden: state.hidden,
      parallel_tool_calls: null,
      id: 'agent-0',
      messages: '\u0000messages',
      in_context_message_ids: '\u0000in_context',
      files_agents: folders.filesAgents,
      group_ids: [],
    };
    const doc = {
      agents: [agent],
      groups: [],
      blocks: blocks.map((b) => ({
        ...pick(b, BLOCK_FIELDS),
        metadata: b.metadata ?? {},
        id: blockIds.get(b.id as string),
      })),
      files: folders.files.length ? '\u0000files' : [],
      sources: folders.sources,
      tools: tools.map((t) => ({ id: toolIds.get(t.id as string), ...pick(t, TOOL_FIELDS) })),
      mcp_servers: [],
      skills: [],
      metadata: { exported_by: 'engram', engram_version: VERSION },
      created_at: new Date().toISOString(),
    };
    const text = JSON.stringify(doc, null, 2);
    const [head, rest] = text.split(MESSAGES);
    const [middle, afterContext] = rest.split(IN_CONTEXT);
    const [beforeFiles, tail] = folders.files.length ? afterContext.split(FILES) : [afterContext, null];
    yield head;
    const fileIds = new Map<string, string>();
    if (!scrub) {
      let after: string | null = null;
      let first = true;
      for (;;) {
        const page = await this.files.historyPage(p.organizationId, state.id as string, after, PAGE);
        if (page.messages.length === 0) break;
        const items = page.messages.map((m) => {
          const id = `message-${fileIds.size}`;
          fileIds.set(m.id, id);
          return indent(JSON.stringify(toAfMessage(m, id, 'agent-0'), null, 2), 8);
        });
        yield `${first ? '[\n' : ',\n'}${items.join(',\n')}`;
        first = false;
        after = page.lastSequence;
        if (page.messages.length < PAGE) break;
      }
      yield first ? '[]' : '\n      ]';
    } else yield '[]';
    yield middle;
    const inContext = scrub
      ? []
      : (state.message_ids as string[]).map((id) => fileIds.get(id)).filter((id) => id !== undefined);
    yield JSON.stringify(inContext);
    yield beforeFiles;
    if (tail === null) return;
    // Each file's text is read as it is written, so only one is held at a time.
    for (const [i, { file, schema }] of folders.files.entries()) {
      schema.content = await this.folderFiles.contentOf(p.organizationId, file.id);
      yield `${i === 0 ? '[\n' : ',\n'}${indent(JSON.stringify(schema, null, 2), 4)}`;
    }
    yield '\n  ]';
    yield tail;
  }
}

function pick(o: Json, keys: string[]): Json {
  return Object.fromEntries(keys.map((k) => [k, o[k] ?? null]));
}

function byText(key: string) {
  return (a: Json, b: Json) => String(a[key]).localeCompare(String(b[key]));
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
