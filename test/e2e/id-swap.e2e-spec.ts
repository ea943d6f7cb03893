import { DataSource } from 'typeorm';
import { RouteInfo, RouteTable } from '../../src/auth/route-table';
import { roleRank } from '../../src/common/auth/principal';
import { Api, startTestApp, TestApp } from '../support/app';
import { ADMIN_KEY, bearer, tenantWithKeys, TenantWithKeys } from '../support/auth';
import { FakeOpenAiServer } from '../support/fake-openai';
import { TestMcpHttpServer } from '../support/mcp-http-server';

/**
 * The id-swap test. Two organizations get the same fixtures; then organization B (with an
 * org_admin key, the strongest credential that is still confined to one organization) calls
 * every route in Nest's route table with organization A's ids. Each call must answer 404 (or
 * an empty result for a list filtered by a foreign id), nothing may leak A's ids, and A's rows
 * must be the same before and after.
 *
 * The routes come from discovery, so a route added later is called here without anyone
 * remembering to — but only once it is described in ROUTES below (which ids it takes, a valid
 * body): an undescribed route fails this test loudly, as does a path parameter of unknown kind.
 */

const MODEL = 'openai/gpt-4o-mini';
const TOOL_NAME = 'swap_tool';
const TOOL_SOURCE = `def ${TOOL_NAME}(text: str) -> str:
    """Echoes the text.

    Args:
        text: what to echo
    """
    return text
`;

/** The kinds of fixture an id can name. */
type Kind =
  | 'org'
  | 'user'
  | 'agent'
  | 'block'
  | 'tool'
  | 'mcpTool'
  | 'archive'
  | 'passage'
  | 'message'
  | 'run'
  | 'step'
  | 'mcpServer'
  | 'identity'
  | 'apiKey'
  | 'accessToken'
  | 'folder'
  | 'file'
  | 'job'
  | 'schedule'
  | 'conversation';

type Fixtures = Record<Kind, string>;

/** Path parameters that carry an id, and the fixture kind each takes. */
const PARAM_KINDS: Record<string, Kind> = {
  agent_id: 'agent',
  block_id: 'block',
  tool_id: 'tool',
  archive_id: 'archive',
  passage_id: 'passage',
  message_id: 'message',
  run_id: 'run',
  step_id: 'step',
  mcp_server_id: 'mcpServer',
  identity_id: 'identity',
  api_key_id: 'apiKey',
  token: 'accessToken',
  folder_id: 'folder',
  file_id: 'file',
  job_id: 'job',
  scheduled_message_id: 'schedule',
  conversation_id: 'conversation',
};

/** Path parameters that are names, the same in both organizations' fixtures. */
const NAME_PARAMS: Record<string, string> = { block_label: 'human', tool_name: TOOL_NAME };

interface Variant {
  /** `'$kind'` anywhere in the body, query or form is replaced by that fixture's id (A's or B's). */
  body?: unknown;
  query?: Record<string, string>;
  /** A multipart/form-data body instead: `file` is sent as a JSON file, `fields` as text fields. */
  form?: { file: unknown; fields?: Record<string, string> };
}

/** A minimal agent file (Letta's AgentFileSchema) for the import route. */
function agentFile(extra: Record<string, unknown> = {}) {
  return {
    agents: [
      {
        id: 'agent-0',
        name: 'imported',
        llm_config: { model: 'gpt-4o-mini', model_endpoint_type: 'openai', context_window: 8000 },
        tool_ids: [],
        block_ids: [],
        messages: [],
        in_context_message_ids: [],
        ...extra,
      },
    ],
    groups: [],
    blocks: [],
    files: [],
    sources: [],
    tools: [],
    mcp_servers: [],
  };
}

interface RouteFixture {
  /** Requests to make (default: one, without body or query). */
  variants?: Variant[];
  /** Path parameter kinds that differ from PARAM_KINDS on this route. */
  params?: Record<string, Kind>;
}

const own = {}; // a variant without ids: B acting on its own data; must leak nothing of A

/** Every route of the app, keyed `METHOD /path`. A route missing here fails the test. */
const ROUTES: Record<string, RouteFixture> = {
  'GET /v1/admin/orgs': {},
  'POST /v1/admin/orgs': { variants: [{ body: { name: 'x' } }] },
  'PATCH /v1/admin/orgs': { variants: [{ query: { org_id: '$org' }, body: { name: 'hijacked' } }] },
  'DELETE /v1/admin/orgs': { variants: [{ query: { org_id: '$org' } }] },
  'GET /v1/admin/users': { variants: [own, { query: { org_id: '$org' } }, { query: { after: '$user' } }] },
  'POST /v1/admin/users': { variants: [{ body: { name: 'intruder', organization_id: '$org' } }] },
  'DELETE /v1/admin/users': { variants: [{ query: { user_id: '$user' } }] },
  'GET /v1/models': {},
  'GET /v1/models/embedding': {},
  'POST /v1/blocks': { variants: [{ body: { label: 'b-own', value: 'v' } }] },
  'GET /v1/blocks': {
    variants: [own, { query: { after: '$block' } }, { query: { identity_id: '$identity' } }],
  },
  'GET /v1/blocks/:block_id': {},
  'PATCH /v1/blocks/:block_id': { variants: [{ body: { value: 'hijacked' } }] },
  'DELETE /v1/blocks/:block_id': {},
  'POST /v1/agents': {
    variants: [
      { body: { name: 'b-own', model: MODEL } },
      { body: { name: 'x', model: MODEL, block_ids: ['$block'] } },
      { body: { name: 'x', model: MODEL, tool_ids: ['$tool'] } },
      { body: { name: 'x', model: MODEL, identity_ids: ['$identity'] } },
      { body: { name: 'x', model: MODEL, folder_ids: ['$folder'] } },
      { body: { name: 'x', model: MODEL, source_ids: ['$folder'] } },
    ],
  },
  'GET /v1/agents': {
    variants: [own, { query: { after: '$agent' } }, { query: { identity_id: '$identity' } }],
  },
  'GET /v1/agents/count': {},
  'GET /v1/agents/:agent_id': {},
  'PATCH /v1/agents/:agent_id': {
    variants: [
      { body: { description: 'hijacked' } },
      { body: { block_ids: ['$block'], tool_ids: ['$tool'] } },
      { body: { identity_ids: ['$identity'] } },
      { body: { folder_ids: ['$folder'] } },
    ],
  },
  'DELETE /v1/agents/:agent_id': {},
  'GET /v1/agents/:agent_id/export': { variants: [{}, { query: { scrub_messages: 'true' } }] },
  'POST /v1/agents/import': {
    variants: [
      { form: { file: agentFile() } },
      { form: { file: agentFile({ identity_ids: ['$identity'] }) } },
    ],
  },
  'POST /v1/agents/:agent_id/recompile': { variants: [{}, { query: { dry_run: 'true' } }] },
  'GET /v1/tags': {},
  'GET /v1/agents/:agent_id/core-memory/blocks': {},
  'GET /v1/agents/:agent_id/core-memory/blocks/:block_label': {},
  'PATCH /v1/agents/:agent_id/core-memory/blocks/:block_label': {
    variants: [{ body: { value: 'hijacked' } }],
  },
  'PATCH /v1/agents/:agent_id/core-memory/blocks/attach/:block_id': {},
  'PATCH /v1/agents/:agent_id/core-memory/blocks/detach/:block_id': {},
  'GET /v1/blocks/:block_id/agents': {},
  'POST /v1/tools': { variants: [{ body: { source_code: TOOL_SOURCE.replace(TOOL_NAME, 'b_own_tool') } }] },
  // Same name as A's tool: an upsert must find B's, never A's.
  'PUT /v1/tools': { variants: [{ body: { source_code: TOOL_SOURCE, description: 'upserted by B' } }] },
  'GET /v1/tools': { variants: [own, { query: { after: '$tool' } }, { query: { tool_ids: '$tool' } }] },
  'GET /v1/tools/count': {},
  'POST /v1/tools/search': { variants: [{ body: { query: 'echoes the text' } }] },
  'GET /v1/tools/:tool_id': {},
  'PATCH /v1/tools/:tool_id': { variants: [{ body: { description: 'hijacked' } }] },
  'DELETE /v1/tools/:tool_id': {},
  'GET /v1/agents/:agent_id/tools': {},
  'PATCH /v1/agents/:agent_id/tools/attach/:tool_id': {},
  'PATCH /v1/agents/:agent_id/tools/detach/:tool_id': {},
  'PATCH /v1/agents/:agent_id/tools/approval/:tool_name': {
    variants: [{ body: { requires_approval: true } }],
  },
  'POST /v1/agents/:agent_id/tools/:tool_name/run': { variants: [{ body: { args: { text: 'x' } } }] },
  'POST /v1/agents/:agent_id/archival-memory': { variants: [{ body: { text: 'planted' } }] },
  'GET /v1/agents/:agent_id/archival-memory': {},
  'GET /v1/agents/:agent_id/archival-memory/search': { variants: [{ query: { query: 'secret' } }] },
  'DELETE /v1/agents/:agent_id/archival-memory/:passage_id': {},
  'PATCH /v1/agents/:agent_id/archives/attach/:archive_id': {},
  'PATCH /v1/agents/:agent_id/archives/detach/:archive_id': {},
  'POST /v1/archives': { variants: [{ body: { name: 'b-own' } }] },
  'GET /v1/archives': {
    variants: [own, { query: { after: '$archive' } }, { query: { agent_id: '$agent' } }],
  },
  'GET /v1/archives/:archive_id': {},
  'PATCH /v1/archives/:archive_id': { variants: [{ body: { description: 'hijacked' } }] },
  'DELETE /v1/archives/:archive_id': {},
  'POST /v1/archives/:archive_id/passages': { variants: [{ body: { text: 'planted' } }] },
  'POST /v1/archives/:archive_id/passages/batch': {
    variants: [{ body: { passages: [{ text: 'planted' }] } }],
  },
  'DELETE /v1/archives/:archive_id/passages/:passage_id': {},
  'POST /v1/passages/search': {
    variants: [
      { body: { query: 'secret' } },
      { body: { query: 'secret', agent_id: '$agent' } },
      { body: { query: 'secret', archive_id: '$archive' } },
    ],
  },
  'POST /v1/messages/search': {
    variants: [{ body: { query: 'hello swap' } }, { body: { query: 'hello swap', agent_id: '$agent' } }],
  },
  'POST /v1/mcp-servers': { variants: [] }, // filled in beforeAll: it needs the MCP server's URL
  'GET /v1/mcp-servers': {},
  'GET /v1/mcp-servers/:mcp_server_id': {},
  'PATCH /v1/mcp-servers/:mcp_server_id': { variants: [{ body: { server_name: 'hijacked' } }] },
  'DELETE /v1/mcp-servers/:mcp_server_id': {},
  'PATCH /v1/mcp-servers/:mcp_server_id/refresh': { variants: [{}, { query: { agent_id: '$agent' } }] },
  'GET /v1/mcp-servers/:mcp_server_id/tools': {},
  'GET /v1/mcp-servers/:mcp_server_id/tools/:tool_id': { params: { tool_id: 'mcpTool' } },
  'POST /v1/mcp-servers/:mcp_server_id/tools/:tool_id/run': {
    params: { tool_id: 'mcpTool' },
    variants: [{ body: { args: { text: 'x' } } }],
  },
  'POST /v1/agents/:agent_id/messages': { variants: [{ body: { input: 'hi' } }] },
  'POST /v1/agents/:agent_id/messages/stream': { variants: [{ body: { input: 'hi' } }] },
  'POST /v1/agents/:agent_id/messages/async': { variants: [{ body: { input: 'hi' } }] },
  'GET /v1/agents/:agent_id/messages': {
    variants: [{}, { query: { after: '$message' } }, { query: { conversation_id: '$conversation' } }],
  },
  'POST /v1/agents/:agent_id/messages/cancel': { variants: [{ body: {} }, { body: { run_ids: ['$run'] } }] },
  'PATCH /v1/agents/:agent_id/reset-messages': { variants: [{ body: {} }] },
  'POST /v1/agents/:agent_id/summarize': {},
  'GET /v1/messages/:message_id': {},
  'GET /v1/messages': {
    variants: [own, { query: { after: '$message' } }, { query: { conversation_id: '$conversation' } }],
  },
  'GET /v1/runs': {
    variants: [
      own,
      { query: { agent_id: '$agent' } },
      { query: { after: '$run' } },
      { query: { conversation_id: '$conversation' } },
    ],
  },
  'GET /v1/runs/:run_id': {},
  'GET /v1/runs/:run_id/messages': {},
  'GET /v1/runs/:run_id/usage': {},
  'GET /v1/runs/:run_id/steps': {},
  'GET /v1/runs/:run_id/trace': { variants: [{}, { query: { limit: '10' } }] },
  'POST /v1/runs/:run_id/stream': { variants: [{ body: {} }] },
  'GET /v1/runs/:run_id/stream': {},
  'GET /v1/steps': {
    variants: [
      own,
      { query: { agent_id: '$agent' } },
      { query: { run_id: '$run' } },
      { query: { after: '$step' } },
    ],
  },
  'GET /v1/steps/:step_id': {},
  'GET /v1/steps/:step_id/messages': {},
  'GET /v1/steps/:step_id/metrics': {},
  'GET /v1/steps/:step_id/trace': {},
  'PATCH /v1/steps/:step_id/feedback': { variants: [{ body: { feedback: 'negative' } }] },
  'POST /v1/identities': {
    variants: [
      { body: { identifier_key: 'b-own', name: 'b', identity_type: 'user' } },
      { body: { identifier_key: 'x1', name: 'x', identity_type: 'user', agent_ids: ['$agent'] } },
      { body: { identifier_key: 'x2', name: 'x', identity_type: 'user', block_ids: ['$block'] } },
    ],
  },
  // Same key as A's identity: the upsert must find B's, never A's.
  'PUT /v1/identities': {
    variants: [
      { body: { identifier_key: 'swap-identity', name: 'upserted by B', identity_type: 'user' } },
      { body: { identifier_key: 'swap-identity', name: 'x', identity_type: 'user', agent_ids: ['$agent'] } },
    ],
  },
  'GET /v1/identities': { variants: [own, { query: { after: '$identity' } }] },
  'GET /v1/identities/count': {},
  'GET /v1/identities/:identity_id': {},
  'PATCH /v1/identities/:identity_id': {
    variants: [{ body: { name: 'hijacked' } }, { body: { agent_ids: ['$agent'], block_ids: ['$block'] } }],
  },
  'PUT /v1/identities/:identity_id/properties': {
    variants: [{ body: [{ key: 'k', value: 'hijacked', type: 'string' }] }],
  },
  'DELETE /v1/identities/:identity_id': {},
  'GET /v1/identities/:identity_id/agents': {},
  'GET /v1/identities/:identity_id/blocks': {},
  'PATCH /v1/agents/:agent_id/identities/attach/:identity_id': {},
  'PATCH /v1/agents/:agent_id/identities/detach/:identity_id': {},
  'POST /v1/chat/completions': {
    variants: [
      { body: { model: '$agent', messages: [{ role: 'user', content: 'x' }] } },
      { body: { model: '$agent', stream: true, messages: [{ role: 'user', content: 'x' }] } },
    ],
  },
  'POST /v1/agents/:agent_id/schedule': {
    variants: [
      {
        body: {
          messages: [{ role: 'user', content: 'x' }],
          schedule: { type: 'recurring', cron_expression: '0 0 1 1 *' },
        },
      },
    ],
  },
  'GET /v1/agents/:agent_id/schedule': { variants: [{}, { query: { after: '$schedule' } }] },
  'GET /v1/agents/:agent_id/schedule/:scheduled_message_id': {},
  'DELETE /v1/agents/:agent_id/schedule/:scheduled_message_id': {},
  'POST /v1/conversations': { variants: [{ query: { agent_id: '$agent' }, body: { summary: 'x' } }] },
  'GET /v1/conversations': {
    variants: [own, { query: { agent_id: '$agent' } }, { query: { after: '$conversation' } }],
  },
  'GET /v1/conversations/:conversation_id': {},
  'PATCH /v1/conversations/:conversation_id': { variants: [{ body: { summary: 'hijacked' } }] },
  'DELETE /v1/conversations/:conversation_id': {},
  'POST /v1/conversations/:conversation_id/cancel': { variants: [{}, { query: { agent_id: '$agent' } }] },
  'POST /v1/conversations/:conversation_id/fork': { variants: [{}, { query: { message_id: '$message' } }] },
  'POST /v1/conversations/:conversation_id/recompile': { variants: [{ body: {} }] },
  'POST /v1/conversations/:conversation_id/compact': { variants: [{ body: {} }] },
  'GET /v1/conversations/:conversation_id/messages': { variants: [{}, { query: { after: '$message' } }] },
  'POST /v1/conversations/:conversation_id/messages': {
    variants: [{ body: { input: 'hi' } }, { body: { input: 'hi', streaming: false } }],
  },
  'POST /v1/conversations/:conversation_id/stream': {
    variants: [{ body: {} }, { body: { run_id: '$run' } }],
  },
  'POST /v1/admin/api-keys': {
    variants: [
      { body: { name: 'x', organization_id: '$org', role: 'member' } },
      { body: { name: 'x', organization_id: '$org', user_id: '$user', role: 'member' } },
    ],
  },
  'GET /v1/admin/api-keys': {
    variants: [own, { query: { organization_id: '$org' } }, { query: { after: '$apiKey' } }],
  },
  'DELETE /v1/admin/api-keys/:api_key_id': {},
  'POST /v1/client-side-access-tokens': {
    variants: [
      {
        body: {
          hostname: 'https://b.test',
          policy: [{ type: 'agent', id: '$agent', access: ['read_agent'] }],
        },
      },
    ],
  },
  'GET /v1/client-side-access-tokens': { variants: [own, { query: { agentId: '$agent' } }] },
  'DELETE /v1/client-side-access-tokens/:token': {},
  'GET /v1/jobs': { variants: [own, { query: { after: '$job' } }, { query: { source_id: '$folder' } }] },
  'GET /v1/jobs/:job_id': {},
  'PATCH /v1/jobs/:job_id/cancel': {},
  'DELETE /v1/jobs/:job_id': {},
  // The tutorial dialect (`/agents/...`), as the route table sees its mount.
  'POST /v1/tutorial/agents': { variants: [{ body: { name: 'b-own', persona: 'p', model: 'gpt-4o-mini' } }] },
  'GET /v1/tutorial/agents': { variants: [own, { query: { after: '$agent' } }] },
  'GET /v1/tutorial/agents/:agent_id': {},
  'DELETE /v1/tutorial/agents/:agent_id': {},
  'POST /v1/tutorial/agents/:agent_id/messages': {
    variants: [
      { body: { message: 'hi' } },
      { body: { message: 'hi', stream: true } },
      { body: { message: 'hi', conversation_id: '$conversation' } },
    ],
  },
  'POST /v1/tutorial/agents/:agent_id/batch': {
    variants: [{ body: { messages: ['hi', { message: 'hi', conversation_id: '$conversation' }] } }],
  },
  'GET /v1/tutorial/agents/:agent_id/messages': { variants: [{}, { query: { after: '$message' } }] },
  'GET /v1/tutorial/agents/:agent_id/conversations': {
    variants: [{}, { query: { after: '$conversation' } }],
  },
  'POST /v1/tutorial/agents/:agent_id/conversations': { variants: [{ body: { summary: 'x' } }] },
  'GET /v1/tutorial/agents/:agent_id/conversations/:conversation_id/messages': {},
  ...folderRoutes('folders'),
  ...folderRoutes('sources'),
  'GET /v1/agents/:agent_id/files': { variants: [own, { query: { after: '$agent' } }] },
  'PATCH /v1/agents/:agent_id/files/close-all': {},
  'PATCH /v1/agents/:agent_id/files/:file_id/open': {},
  'PATCH /v1/agents/:agent_id/files/:file_id/close': {},
};

/** `/v1/folders/...` and its older alias `/v1/sources/...`, on the agent too. */
function folderRoutes(name: 'folders' | 'sources'): Record<string, RouteFixture> {
  return {
    [`POST /v1/${name}`]: {
      variants: [{ body: { name: `b-own-${name}` } }],
    },
    [`GET /v1/${name}`]: { variants: [own, { query: { after: '$folder' } }] },
    [`GET /v1/${name}/count`]: {},
    [`GET /v1/${name}/:folder_id`]: {},
    [`PATCH /v1/${name}/:folder_id`]: { variants: [{ body: { name: 'hijacked' } }] },
    [`DELETE /v1/${name}/:folder_id`]: {},
    [`POST /v1/${name}/:folder_id/upload`]: { variants: [{ form: { file: 'x' } }] },
    [`GET /v1/${name}/:folder_id/agents`]: {},
    [`GET /v1/${name}/:folder_id/passages`]: {},
    [`GET /v1/${name}/:folder_id/files`]: {},
    [`GET /v1/${name}/:folder_id/files/:file_id`]: {},
    [`DELETE /v1/${name}/:folder_id/:file_id`]: {},
    [`GET /v1/agents/:agent_id/${name}`]: {},
    [`PATCH /v1/agents/:agent_id/${name}/attach/:folder_id`]: {},
    [`PATCH /v1/agents/:agent_id/${name}/detach/:folder_id`]: {},
  };
}

const KINDS = new Set<string>(Object.values(PARAM_KINDS).concat(['org', 'user', 'mcpTool']));

/** The id slots of one request: path params of id kinds, then `$kind` placeholders. */
function slotsOf(route: RouteInfo, fixture: RouteFixture, variant: Variant): Kind[] {
  const kinds: Kind[] = [];
  for (const [, name] of route.path.matchAll(/:([A-Za-z_]+)/g)) {
    if (name in NAME_PARAMS) continue;
    const kind = fixture.params?.[name] ?? PARAM_KINDS[name];
    if (!kind)
      throw new Error(
        `${route.method} ${route.path}: path parameter ':${name}' is of no known kind; add it to PARAM_KINDS or NAME_PARAMS in the id-swap test`,
      );
    kinds.push(kind);
  }
  const text = JSON.stringify([variant.body ?? null, variant.query ?? null, variant.form ?? null]);
  for (const [, kind] of text.matchAll(/"\$([A-Za-z]+)"/g)) {
    if (!KINDS.has(kind)) throw new Error(`${route.method} ${route.path}: unknown placeholder '$${kind}'`);
    kinds.push(kind as Kind);
  }
  return kinds;
}

/** Builds the request with slot i taken from `owners[i]` (A's or B's fixtures). */
function build(route: RouteInfo, fixture: RouteFixture, variant: Variant, owners: Fixtures[]) {
  let i = 0;
  const path = route.path.replace(/:([A-Za-z_]+)/g, (_, name: string) =>
    name in NAME_PARAMS
      ? NAME_PARAMS[name]
      : encodeURIComponent(owners[i++][fixture.params?.[name] ?? PARAM_KINDS[name]]),
  );
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith('$')) return owners[i++][v.slice(1) as Kind];
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const body = variant.body === undefined ? undefined : fill(variant.body);
  const query = variant.query ? (fill(variant.query) as Record<string, string>) : undefined;
  const form = variant.form
    ? (fill(variant.form) as { file: unknown; fields?: Record<string, string> })
    : undefined;
  return { path: query ? `${path}?${new URLSearchParams(query)}` : path, body: form ? toForm(form) : body };
}

function toForm(form: { file: unknown; fields?: Record<string, string> }): FormData {
  const data = new FormData();
  data.append('file', new Blob([JSON.stringify(form.file)]), 'agent.af');
  for (const [k, v] of Object.entries(form.fields ?? {})) data.append(k, v);
  return data;
}

/** Every assignment of A/B to `n` slots with at least one of A's. */
function assignments(n: number): boolean[][] {
  const out: boolean[][] = [];
  for (let mask = 1; mask < 1 << n; mask++)
    out.push(Array.from({ length: n }, (_, i) => Boolean(mask & (1 << i))));
  return out;
}

/** Nothing but emptiness: `[]`, or an object of empty lists and scalars (`{tokens: [], hasNextPage: false}`). */
function isEmptyResult(body: unknown): boolean {
  if (Array.isArray(body)) return body.length === 0;
  if (body && typeof body === 'object')
    return Object.values(body).every((v) =>
      Array.isArray(v) ? v.length === 0 : v === null || typeof v !== 'object',
    );
  return false;
}

async function call(api: Api, method: string, path: string, body: unknown) {
  const multipart = body instanceof FormData;
  const res = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: {
      ...api.headers,
      ...(body === undefined || multipart ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : multipart ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* SSE or plain text: checked as text */
  }
  return { status: res.status, body: parsed, text };
}

describe('id swap: organization B calls every route with organization A’s ids (e2e)', () => {
  let fake: FakeOpenAiServer;
  let mcp: TestMcpHttpServer;
  let t: TestApp;
  let ds: DataSource;
  let routes: RouteInfo[];
  let a: TenantWithKeys & { f: Fixtures; secrets: string[] };
  let b: TenantWithKeys & { f: Fixtures; secrets: string[] };

  async function seed(tenant: TenantWithKeys, name: string) {
    const api = tenant.as.org_admin;
    const ok = async (p: Promise<{ status: number; body: any }>) => {
      const res = await p;
      if (res.status >= 300) throw new Error(`seeding ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const agent = await ok(
      api.post('/v1/agents', {
        name: 'swap-agent',
        model: MODEL,
        memory_blocks: [{ label: 'human', value: `${name}: the user keeps a secret` }],
        tags: ['swap'],
      }),
    );
    const block = await ok(api.post('/v1/blocks', { label: 'shared', value: `${name} shared secret` }));
    await ok(api.patch(`/v1/agents/${agent.id}/core-memory/blocks/attach/${block.id}`));
    const tool = await ok(api.post('/v1/tools', { source_code: TOOL_SOURCE }));
    await ok(api.patch(`/v1/agents/${agent.id}/tools/attach/${tool.id}`));
    const archive = await ok(api.post('/v1/archives', { name: 'swap-archive' }));
    await ok(api.patch(`/v1/agents/${agent.id}/archives/attach/${archive.id}`));
    const passage = await ok(
      api.post(`/v1/archives/${archive.id}/passages`, { text: `${name} secret passage` }),
    );
    await ok(api.post(`/v1/agents/${agent.id}/archival-memory`, { text: `${name} secret memory` }));
    const mcpServer = await ok(
      api.post('/v1/mcp-servers', {
        server_name: 'swap-mcp',
        config: { mcp_server_type: 'streamable_http', server_url: mcp.url },
      }),
    );
    const mcpTools = await ok(api.get(`/v1/mcp-servers/${mcpServer.id}/tools`));
    const identity = await ok(
      api.post('/v1/identities', {
        identifier_key: 'swap-identity',
        name: `${name} identity`,
        identity_type: 'user',
        agent_ids: [agent.id],
        block_ids: [block.id],
        properties: [{ key: 'secret', value: `${name} secret`, type: 'string' }],
      }),
    );
    await ok(api.post(`/v1/agents/${agent.id}/messages`, { input: `hello swap from ${name}` }));
    const folder = await ok(api.post('/v1/folders', { name: 'swap-folder' }));
    const form = new FormData();
    form.append('file', new Blob([`${name} secret document`]), 'secret.txt');
    const uploaded = await fetch(`${api.baseUrl}/v1/folders/${folder.id}/upload`, {
      method: 'POST',
      headers: api.headers,
      body: form,
    });
    const file = (await uploaded.json()) as { id: string };
    if (uploaded.status !== 200) throw new Error(`seeding ${name}: upload ${uploaded.status}`);
    await ok(api.patch(`/v1/agents/${agent.id}/folders/attach/${folder.id}`));
    const jobs = await ok(api.get(`/v1/jobs?source_id=${folder.id}`));
    const runs = await ok(api.get(`/v1/runs?agent_id=${agent.id}`));
    const steps = await ok(api.get(`/v1/steps?run_id=${runs[0].id}`));
    const messages = await ok(api.get(`/v1/agents/${agent.id}/messages`));
    const schedule = await ok(
      api.post(`/v1/agents/${agent.id}/schedule`, {
        messages: [{ role: 'user', content: `${name} secret reminder` }],
        schedule: { type: 'recurring', cron_expression: '0 0 1 1 *' },
      }),
    );
    const conversation = await ok(
      api.post(`/v1/conversations?agent_id=${agent.id}`, { summary: `${name} secret thread` }),
    );
    const key = await ok(
      api.post('/v1/admin/api-keys', { name: 'swap', organization_id: tenant.orgId, role: 'member' }),
    );
    const token = await ok(
      api.post('/v1/client-side-access-tokens', {
        hostname: 'https://swap.test',
        policy: [{ type: 'agent', id: agent.id, access: ['read_agent'] }],
      }),
    );
    const f: Fixtures = {
      org: tenant.orgId,
      user: tenant.userId,
      agent: agent.id,
      block: block.id,
      tool: tool.id,
      mcpTool: mcpTools[0].id,
      archive: archive.id,
      passage: passage.id,
      message: messages.find((m: any) => m.message_type === 'user_message').id,
      run: runs[0].id,
      step: steps[0].id,
      mcpServer: mcpServer.id,
      identity: identity.id,
      apiKey: key.id,
      accessToken: token.token,
      folder: folder.id,
      file: file.id,
      job: jobs[0]?.id,
      schedule: schedule.id,
      conversation: conversation.id,
    };
    for (const [kind, id] of Object.entries(f)) if (!id) throw new Error(`seeding ${name}: no ${kind}`);
    return Object.assign(tenant, {
      f,
      secrets: [key.key, token.token, ...Object.values(tenant.keys).map((k) => k.key)],
    });
  }

  /** Every row of A's, in every table with an organization_id (found, not listed), plus A's organization. */
  async function snapshot(orgId: string): Promise<Record<string, string[]>> {
    const tables: { table_name: string }[] = await ds.query(
      `SELECT DISTINCT table_name FROM information_schema.columns
       WHERE column_name = 'organization_id' AND table_schema = current_schema() ORDER BY table_name`,
    );
    const out: Record<string, string[]> = {
      organizations: (await ds.query(`SELECT * FROM organizations WHERE id = $1`, [orgId])).map((r: object) =>
        JSON.stringify(r),
      ),
    };
    for (const { table_name } of tables) {
      const rows: Record<string, unknown>[] = await ds.query(
        `SELECT * FROM "${table_name}" WHERE organization_id = $1`,
        [orgId],
      );
      // last_used_at moves when A's own keys are used; it is bookkeeping, not A's data.
      out[table_name] = rows.map((r) => JSON.stringify({ ...r, last_used_at: undefined })).sort();
    }
    return out;
  }

  /** Waits until A's rows stop changing (runs finishing, background writes), then returns them. */
  async function settled(orgId: string) {
    let previous = await snapshot(orgId);
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const next = await snapshot(orgId);
      if (JSON.stringify(next) === JSON.stringify(previous)) return next;
      previous = next;
    }
    throw new Error("A's rows never settled");
  }

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'ok' } });
    mcp = await TestMcpHttpServer.start();
    t = await startTestApp({
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: fake.baseUrl,
      ENGRAM_RATE_LIMIT_PER_MINUTE: '100000',
    });
    ds = t.app.get(DataSource);
    routes = t.app.get(RouteTable).list();
    ROUTES['POST /v1/mcp-servers'].variants = [
      { body: { server_name: 'b-own', config: { mcp_server_type: 'streamable_http', server_url: mcp.url } } },
    ];
    const admin = bearer(t.baseUrl, ADMIN_KEY);
    a = await seed(await tenantWithKeys(admin, 'swap-a'), 'org-a');
    b = await seed(await tenantWithKeys(admin, 'swap-b'), 'org-b');
  });
  afterAll(async () => {
    await t.close();
    await mcp.close();
    await fake.close();
  });

  it('has a fixture entry for every route in the route table, and none for routes that are gone', () => {
    const table = routes.filter((r) => !r.isPublic).map((r) => `${r.method} ${r.path}`);
    expect(table.length).toBeGreaterThan(50);
    const missing = table.filter((r) => !(r in ROUTES));
    const stale = Object.keys(ROUTES).filter((r) => !table.includes(r));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  it('answers 404 or an empty result to every foreign id, leaks nothing, and leaves A’s rows as they were', async () => {
    const before = await settled(a.orgId);
    const aIds = new Set<string>([
      ...Object.values(before)
        .flat()
        .flatMap((row) => idsIn(row)),
      ...a.secrets,
    ]);
    for (const id of Object.values(b.f)) aIds.delete(id);
    expect(aIds.size).toBeGreaterThan(20);
    const caller = b.as.org_admin;
    const failures: string[] = [];
    let calls = 0;
    for (const route of routes.filter((r) => !r.isPublic)) {
      const fixture = ROUTES[`${route.method} ${route.path}`];
      if (!fixture) continue; // reported by the test above
      const adminOnly = roleRank(route.policy!.role) > roleRank('org_admin');
      for (const variant of fixture.variants ?? [{}]) {
        const slots = slotsOf(route, fixture, variant);
        const combos = slots.length ? assignments(slots.length) : [[]];
        for (const combo of combos) {
          const owners = combo.map((useA) => (useA ? a.f : b.f));
          const { path, body } = build(route, fixture, variant, owners);
          const res = await call(caller, route.method, path, body);
          calls++;
          const shown = body instanceof FormData ? JSON.stringify(variant.form) : JSON.stringify(body);
          const label = `${route.method} ${path}${body === undefined ? '' : ` ${shown}`} → ${res.status}`;
          const leaked = [...aIds].filter((id) => res.status < 300 && res.text.includes(id));
          if (leaked.length) failures.push(`${label}: leaks A's ${leaked.join(', ')}`);
          if (adminOnly) {
            if (res.status !== 403) failures.push(`${label}: expected 403 (admin only)`);
          } else if (combo.some(Boolean)) {
            if (res.status !== 404 && !(res.status < 300 && isEmptyResult(res.body)))
              failures.push(`${label}: expected 404 or an empty result, got ${res.text.slice(0, 300)}`);
          } else if (res.status >= 300) {
            failures.push(`${label}: B's own call failed: ${res.text.slice(0, 300)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(100);
    const after = await settled(a.orgId);
    for (const table of Object.keys(before))
      expect({ table, rows: after[table] }).toEqual({ table, rows: before[table] });
  });
});

/** Ids (`agent-<uuid>`, `user-<uuid>`, ...) mentioned in a serialized row. */
function idsIn(row: string): string[] {
  return row.match(/[a-z_-]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [];
}
