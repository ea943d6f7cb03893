import { Injectable, Logger } from '@nestjs/common';
import { uuidIds, type AgentMessage } from '@engram/agent-runtime';
import { AgentsService } from '../agents/agents.service';
import { CreateAgentDto } from '../agents/dto/agent.dto';
import { Principal } from '../common/auth/principal';
import { BadRequestError, DomainError } from '../common/errors';
import { inspectValue, jsonDepthExceeds, MAX_JSON_DEPTH, problemError } from '../common/http-edge';
import { BlocksService } from '../memory/blocks.service';
import { CreateBlockDto } from '../memory/dto/block.dto';
import { BaseToolsService } from '../tools/base-tools.service';
import { CreateToolDto, UpdateToolDto } from '../tools/dto/tool.dto';
import { resolveToolSchema } from '../tools/tool-schema';
import { ToolEntity } from '../tools/tool.entity';
import { ToolsRepository } from '../tools/tools.repository';
import { isBuiltInTool, ToolsService } from '../tools/tools.service';
import { FILE_TOOL_NAMES } from '../sources/file-tools';
import { afFields, afUnique, afValidate } from './af-fields';
import { afList, afObject, afString, agentFileError as bad, fromAfMessage } from './af-messages';
import { AgentFileFoldersService, AgentFoldersPlan, FoldersPlan, WrittenFolders } from './af-folders.service';
import { AgentFilesRepository } from './agent-files.repository';

type Json = Record<string, unknown>;

/** What POST /v1/agents/import takes besides the file (Letta's form fields, deprecated names folded in). */
export interface ImportOptions {
  /** Append `_copy` to each agent's name (Letta's default: true). */
  appendCopySuffix: boolean;
  /** Replace the source of custom tools of the same name that already exist (default: true). */
  overrideExistingTools: boolean;
  stripMessages: boolean;
  name?: string;
  projectId?: string;
  model?: string;
  embedding?: string;
  /** Values for the agents' secrets (whose values an export blanks). */
  secrets?: Record<string, string>;
}

/** Agent-file fields Engram reads itself, or refuses when they hold anything. */
const OWN_AGENT_FIELDS = new Set([
  'id',
  'messages',
  'in_context_message_ids',
  'tool_ids',
  'block_ids',
  'files_agents',
  'group_ids',
  'source_ids',
  'folder_ids',
  'include_multi_agent_tools',
]);

const TOOL_DTO_FIELDS = [
  'source_code',
  'source_type',
  'json_schema',
  'args_json_schema',
  'description',
  'tags',
  'return_char_limit',
  'pip_requirements',
  'npm_requirements',
  'default_requires_approval',
  'enable_parallel_execution',
];

interface ToolPlan {
  fileId: string;
  /** An existing tool to use as it is, or to overwrite with `update`. */
  existing?: ToolEntity;
  create?: CreateToolDto;
  update?: UpdateToolDto;
  /** One of the file tools, which the organization does not have yet. */
  fileTool?: string;
}

interface Created {
  tools: string[];
  blocks: string[];
  folders: string[];
  agents: string[];
}

interface AgentPlan {
  dto: CreateAgentDto;
  toolFileIds: string[];
  blockFileIds: string[];
  /** null: keep the messages a new agent starts with. */
  messages: AgentMessage[] | null;
  inContext: string[];
  folders: AgentFoldersPlan;
}

/**
 * POST /v1/agents/import: recreates the agents of a Letta agent file (AgentFileSchema) in the
 * caller's organization, with their folders and files (see AgentFileFoldersService). Everything
 * is read and validated before anything is written; a failure
 * while writing removes what the import had created, and existing tools are overwritten only
 * once the agents exist.
 */
@Injectable()
export class AgentFileImportService {
  private readonly logger = new Logger(AgentFileImportService.name);

  constructor(
    private readonly agents: AgentsService,
    private readonly blocks: BlocksService,
    private readonly tools: ToolsService,
    private readonly toolRows: ToolsRepository,
    private readonly baseTools: BaseToolsService,
    private readonly files: AgentFilesRepository,
    private readonly folders: AgentFileFoldersService,
  ) {}

  async import(p: Principal, text: string, opts: ImportOptions): Promise<string[]> {
    const schema = parse(text);
    refuseUnsupported(schema);
    const toolPlans = await this.planTools(p, afList(schema.tools, 'tools'), opts);
    const blockDtos = await Promise.all(
      afList(schema.blocks, 'blocks').map(async (b, i) => {
        const dto = await afValidate(
          CreateBlockDto,
          afFields(afObject(b, `blocks[${i}]`), ['id'], CreateBlockDto),
          `blocks[${i}]`,
        );
        this.blocks.build(p, dto); // checks the value fits its limit
        return { fileId: afString(afObject(b, `blocks[${i}]`).id, `blocks[${i}].id`), dto };
      }),
    );
    const folderPlan = await this.folders.plan(p, schema, opts);
    const agentList = afList(schema.agents, 'agents');
    if (agentList.length === 0) throw bad('agents', 'the file holds no agent');
    const agentPlans: AgentPlan[] = [];
    for (const [i, a] of agentList.entries())
      agentPlans.push(await this.planAgent(afObject(a, `agents[${i}]`), i, opts, folderPlan));
    afUnique(
      'tools',
      toolPlans.map((t) => t.fileId),
    );
    afUnique(
      'blocks',
      blockDtos.map((b) => b.fileId),
    );
    for (const [i, a] of agentPlans.entries()) {
      for (const id of a.toolFileIds)
        if (!toolPlans.some((t) => t.fileId === id))
          throw bad(`agents[${i}].tool_ids`, `'${id}' is not a tool of the file`);
      for (const id of a.blockFileIds)
        if (!blockDtos.some((b) => b.fileId === id))
          throw bad(`agents[${i}].block_ids`, `'${id}' is not a block of the file`);
    }

    const created: Created = { tools: [], blocks: [], folders: [], agents: [] };
    let written: WrittenFolders;
    try {
      const toolIds = new Map<string, string>();
      const fileTools = toolPlans.some((t) => t.fileTool)
        ? await this.folders.fileTools(p)
        : new Map<string, string>();
      for (const t of toolPlans) {
        const id =
          t.existing?.id ??
          (t.fileTool ? fileTools.get(t.fileTool) : undefined) ??
          (created.tools.push((await this.tools.create(p, t.create!)).id), created.tools.at(-1)!);
        toolIds.set(t.fileId, id);
      }
      const blockIds = new Map<string, string>();
      for (const b of blockDtos) {
        const block = await this.blocks.create(p, b.dto);
        created.blocks.push(block.id);
        blockIds.set(b.fileId, block.id);
      }
      written = await this.folders.write(p, folderPlan, created.folders);
      for (const a of agentPlans) {
        const dto = Object.assign(a.dto, {
          tool_ids: a.toolFileIds.map((id) => toolIds.get(id)!),
          block_ids: a.blockFileIds.map((id) => blockIds.get(id)!),
          folder_ids: a.folders.sourceFileIds.map((id) => written.sourceIds.get(id)!),
        });
        const agent = await this.agents.create(p, dto, async (row, m) => {
          if (a.messages)
            await this.files.replaceHistory(m, p.organizationId, row.id, a.messages, a.inContext);
          await this.folders.restoreViews(m, row, a.folders, written);
        });
        created.agents.push(agent.id);
      }
    } catch (err) {
      await this.undo(p, created);
      throw err;
    }
    // Last, so a failed import leaves every existing tool as it was.
    for (const t of toolPlans)
      if (t.update && t.existing) await this.tools.update(p, t.existing.id, t.update);
    // The files' passages are made again by the ingestion, from the text the file carried.
    await this.folders.ingest(p, written);
    return created.agents;
  }

  private async undo(p: Principal, created: Created) {
    const steps = [
      ...created.agents.map((id) => () => this.agents.delete(p, id)),
      ...created.blocks.map((id) => () => this.blocks.delete(p, id)),
      ...created.folders.map((id) => () => this.folders.deleteFolder(p, id)),
      ...created.tools.map((id) => () => this.tools.delete(p, id)),
    ];
    for (const step of steps)
      await step().catch((e: unknown) =>
        this.logger.warn(`undoing a failed import: ${(e as Error).message}`),
      );
  }

  /** Maps each file tool to one of the organization's: a built-in or MCP tool by name, a custom tool by name or a new one. */
  private async planTools(p: Principal, list: unknown[], opts: ImportOptions): Promise<ToolPlan[]> {
    await this.baseTools.ensureBaseTools(p.organizationId);
    const raw = list.map((t, i) => afObject(t, `tools[${i}]`));
    const names = raw.map((t, i) => afString(t.name, `tools[${i}].name`));
    const existing = await this.toolRows.findByNames(p.organizationId, names);
    return Promise.all(
      raw.map(async (t, i): Promise<ToolPlan> => {
        const where = `tools[${i}]`;
        const fileId = afString(t.id, `${where}.id`);
        const type = typeof t.tool_type === 'string' ? t.tool_type : 'custom';
        const mine = existing.find((e) => e.name === names[i]);
        if (type.startsWith('letta_')) {
          // The file tools are made for an organization with its first folder: here, when writing.
          if (!mine && FILE_TOOL_NAMES.includes(names[i])) return { fileId, fileTool: names[i] };
          if (!mine) throw bad(where, `the built-in tool '${names[i]}' (${type}) does not exist in Engram`);
          return { fileId, existing: mine };
        }
        if (type.startsWith('external_mcp')) {
          if (mine?.toolType !== type)
            throw bad(
              where,
              `'${names[i]}' is a tool of an MCP server; register that server (POST /v1/mcp-servers) before importing`,
            );
          return { fileId, existing: mine };
        }
        if (type !== 'custom') throw bad(`${where}.tool_type`, `'${type}' tools cannot be imported`);
        if (mine && isBuiltInTool(mine)) return { fileId, existing: mine }; // built-ins are never overwritten
        if (mine && !opts.overrideExistingTools) return { fileId, existing: mine };
        if (typeof t.source_code !== 'string' || !t.source_code)
          throw bad(`${where}.source_code`, 'a custom tool needs its source');
        const body = Object.fromEntries(TOOL_DTO_FIELDS.filter((k) => t[k] != null).map((k) => [k, t[k]]));
        const dto = await afValidate(CreateToolDto, body, where);
        const resolved = await resolveToolSchema({
          sourceType: dto.source_type ?? 'python',
          sourceCode: dto.source_code,
          jsonSchema: dto.json_schema,
          argsJsonSchema: dto.args_json_schema,
        }).catch((e: unknown) => {
          throw e instanceof DomainError ? bad(where, e.message) : e;
        });
        if (resolved.name !== names[i])
          throw bad(
            `${where}.name`,
            `'${names[i]}' does not match the function its source defines ('${resolved.name}')`,
          );
        return mine ? { fileId, existing: mine, update: dto as UpdateToolDto } : { fileId, create: dto };
      }),
    );
  }

  private async planAgent(
    a: Json,
    i: number,
    opts: ImportOptions,
    folderPlan: FoldersPlan,
  ): Promise<AgentPlan> {
    const where = `agents[${i}]`;
    if (afList(a.group_ids, `${where}.group_ids`).length)
      throw bad(`${where}.group_ids`, 'multi-agent groups are not supported by Engram');
    const folders = await this.folders.planAgent(a, where, folderPlan);
    if (a.include_multi_agent_tools === true)
      throw bad(`${where}.include_multi_agent_tools`, 'Engram has no multi-agent tools');
    const body = afFields(a, [...OWN_AGENT_FIELDS], CreateAgentDto);
    // An exported llm_config already says what these would override; unset or false they change nothing.
    for (const k of ['enable_reasoner', 'reasoning'] as const)
      if (body[k] === false && body.llm_config) delete body[k];
    if (opts.name) body.name = opts.name;
    else if (opts.appendCopySuffix && typeof body.name === 'string') body.name = `${body.name}_copy`;
    if (opts.projectId) body.project_id = opts.projectId;
    if (opts.model) {
      body.model = opts.model;
      delete body.llm_config;
    }
    if (opts.embedding) {
      body.embedding = opts.embedding;
      delete body.embedding_config;
    }
    const secrets = {
      ...stringMap(a.tool_exec_environment_variables),
      ...stringMap(a.secrets),
      ...(opts.secrets ?? {}),
    };
    delete body.tool_exec_environment_variables;
    if (Object.keys(secrets).length) body.secrets = secrets;
    else delete body.secrets;
    const dto = await afValidate(CreateAgentDto, body, where);

    const toolFileIds = afList(a.tool_ids, `${where}.tool_ids`).map((x, j) =>
      afString(x, `${where}.tool_ids[${j}]`),
    );
    const blockFileIds = afList(a.block_ids, `${where}.block_ids`).map((x, j) =>
      afString(x, `${where}.block_ids[${j}]`),
    );
    const fileMessages = opts.stripMessages ? [] : afList(a.messages, `${where}.messages`);
    if (fileMessages.length === 0)
      return { dto, toolFileIds, blockFileIds, messages: null, inContext: [], folders };
    const ids = new Map<string, string>();
    const messages = fileMessages.map((m, j) => {
      const w = `${where}.messages[${j}]`;
      const fileId = afString(afObject(m, w).id, `${w}.id`);
      if (ids.has(fileId)) throw bad(`${w}.id`, `'${fileId}' appears twice`);
      const id = uuidIds.next('message');
      ids.set(fileId, id);
      return fromAfMessage(m, id, w);
    });
    const inContext = afList(a.in_context_message_ids, `${where}.in_context_message_ids`).map((x, j) => {
      const id = ids.get(afString(x, `${where}.in_context_message_ids[${j}]`));
      if (!id)
        throw bad(`${where}.in_context_message_ids[${j}]`, `'${String(x)}' is not a message of this agent`);
      return id;
    });
    return { dto, toolFileIds, blockFileIds, messages, inContext, folders };
  }
}

/** The file as JSON (a double-encoded file is decoded twice, as Letta does), checked like a body. */
function parse(text: string): Json {
  const once = (t: string): unknown => {
    if (jsonDepthExceeds(t, MAX_JSON_DEPTH))
      throw new BadRequestError(`Invalid agent file: nested deeper than ${MAX_JSON_DEPTH} levels`);
    try {
      return JSON.parse(t);
    } catch {
      throw new BadRequestError('Corrupted agent file format: the file is not valid JSON');
    }
  };
  let value = once(text);
  if (typeof value === 'string') value = once(value);
  const problem = inspectValue(value);
  if (problem) throw problemError({ ...problem, path: `file ${problem.path}` });
  if (!value || typeof value !== 'object' || !Array.isArray((value as Json).agents))
    throw new BadRequestError(
      "Invalid agent file: expected Letta's AgentFileSchema (an object with an 'agents' list); the legacy single-agent format is not supported",
    );
  return value as Json;
}

function refuseUnsupported(schema: Json): void {
  const why: Record<string, string> = {
    groups: 'multi-agent groups are not supported by Engram',
    skills: 'skills are not supported by Engram',
  };
  for (const [key, reason] of Object.entries(why))
    if (afList(schema[key], key).length) throw bad(key, reason);
  // MCP servers are never recreated from a file (their credentials are not in it): their tools
  // are matched by name to those of servers already registered (see planTools).
  afList(schema.mcp_servers, 'mcp_servers');
}

function stringMap(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : String(x ?? '')]),
  );
}
