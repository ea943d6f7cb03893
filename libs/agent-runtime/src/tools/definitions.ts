/**
 * JSON schemas and descriptions (our own wording) of the base tools the runtime executes itself.
 */
import type { JsonSchema, LlmToolDefinition } from '@engram/llm/types';

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: JsonSchema;
  /** Tool results longer than this are cut before the model sees them. */
  returnCharLimit?: number;
}

const str = (description: string): JsonSchema => ({ type: 'string', description });
const obj = (properties: Record<string, JsonSchema>, required: string[]): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

export const BASE_TOOL_SPECS: Record<string, ToolSpec> = {
  send_message: {
    name: 'send_message',
    description: 'Reply to the user. This is the only way the user sees what you say.',
    parameters: obj({ message: str('The text to show the user. Any unicode, emoji included, is fine.') }, [
      'message',
    ]),
  },
  conversation_search: {
    name: 'conversation_search',
    description:
      'Look up earlier messages of this conversation, including ones no longer in view, by text and meaning. ' +
      'Filter by role and by an inclusive date range (ISO 8601, "2024-05-01" or "2024-05-01T13:00"); with no query, the filters alone select messages.',
    parameters: obj(
      {
        query: str('Words or a description of what to find. Optional.'),
        roles: {
          type: 'array',
          items: { type: 'string', enum: ['assistant', 'user', 'tool'] },
          description: 'Only messages with these roles.',
        },
        limit: { type: 'integer', description: 'Most results to return (default 5).' },
        start_date: str('Earliest message date, inclusive (a bare date starts at 00:00).'),
        end_date: str('Latest message date, inclusive (a bare date runs to the end of that day).'),
      },
      [],
    ),
  },
  archival_memory_insert: {
    name: 'archival_memory_insert',
    description:
      'Save a fact or note to long-term archival memory, which lasts across conversations and is searched by meaning. ' +
      'Write self-contained entries and tag them so they are easy to find later.',
    parameters: obj(
      {
        content: str('The text to store; it should make sense on its own.'),
        tags: {
          type: 'array',
          items: { type: 'string' },
          description: 'Optional category tags, e.g. ["project-x", "meetings"].',
        },
      },
      ['content'],
    ),
  },
  archival_memory_search: {
    name: 'archival_memory_search',
    description:
      'Search long-term archival memory by meaning rather than exact words. Narrow by tags or by creation time; results come back most relevant first.',
    parameters: obj(
      {
        query: str('What you are looking for, in plain words.'),
        tags: { type: 'array', items: { type: 'string' }, description: 'Only entries carrying these tags.' },
        tag_match_mode: {
          type: 'string',
          enum: ['any', 'all'],
          description: '"any": at least one tag matches; "all": every tag must match.',
        },
        top_k: { type: 'integer', description: 'Most results to return (default 10).' },
        start_datetime: str('Only entries created at or after this time (ISO 8601).'),
        end_datetime: str('Only entries created at or before this time (ISO 8601).'),
      },
      ['query'],
    ),
  },
  core_memory_append: {
    name: 'core_memory_append',
    description: 'Add text to the end of one of your core memory blocks (on a new line).',
    parameters: obj({ label: str('Label of the block to edit.'), content: str('Text to add.') }, [
      'label',
      'content',
    ]),
  },
  core_memory_replace: {
    name: 'core_memory_replace',
    description:
      'Swap text in a core memory block: every occurrence of old_content becomes new_content. Pass an empty new_content to delete.',
    parameters: obj(
      {
        label: str('Label of the block to edit.'),
        old_content: str('Exact text to find.'),
        new_content: str('Text to put in its place.'),
      },
      ['label', 'old_content', 'new_content'],
    ),
  },
  memory_replace: {
    name: 'memory_replace',
    description:
      'Make a precise edit to a memory block: old_string must appear exactly once in the block and is replaced by new_string ' +
      '(empty to delete). Copy the text exactly, without line-number prefixes; keep edits small.',
    parameters: obj(
      {
        label: str('Label of the block to edit.'),
        old_string: str('Exact text to replace; must be unique in the block.'),
        new_string: str('Replacement text.'),
      },
      ['label', 'old_string', 'new_string'],
    ),
  },
  memory_insert: {
    name: 'memory_insert',
    description:
      'Insert text into a memory block after a given line (0 puts it first; leave out or -1 to add at the end).',
    parameters: obj(
      {
        label: str('Label of the block to edit.'),
        new_string: str('Text to insert; may span several lines.'),
        insert_line: {
          type: 'integer',
          description: 'Line number after which to insert (0 = top, -1 = end).',
        },
      },
      ['label', 'new_string'],
    ),
  },
  memory_rethink: {
    name: 'memory_rethink',
    description:
      'Rewrite a memory block completely, for reorganising or condensing it. For small edits use memory_replace or memory_insert instead.',
    parameters: obj(
      {
        label: str('Label of the block to rewrite (created if missing).'),
        new_memory: str('The full new contents.'),
      },
      ['label', 'new_memory'],
    ),
  },
};

export const BASE_TOOL_NAMES = new Set(Object.keys(BASE_TOOL_SPECS));

export const REQUEST_HEARTBEAT = 'request_heartbeat';

/**
 * A spec's definitions, made once per spec object: a run's steps then send the same definition
 * objects, whose token counts are kept (tokens.ts). Definitions are never changed in place.
 */
const heartbeatDefinitions = new WeakMap<ToolSpec, LlmToolDefinition>();
const plainDefinitions = new WeakMap<ToolSpec, LlmToolDefinition>();

function once(
  cache: WeakMap<ToolSpec, LlmToolDefinition>,
  spec: ToolSpec,
  make: (spec: ToolSpec) => LlmToolDefinition,
) {
  let d = cache.get(spec);
  if (!d) cache.set(spec, (d = make(spec)));
  return d;
}

/** Add the `request_heartbeat` flag memgpt agents use to ask for another step. */
export function withHeartbeat(spec: ToolSpec): LlmToolDefinition {
  return once(heartbeatDefinitions, spec, makeWithHeartbeat);
}

function makeWithHeartbeat(spec: ToolSpec): LlmToolDefinition {
  const params = spec.parameters as { properties?: Record<string, JsonSchema>; required?: string[] };
  return {
    name: spec.name,
    description: spec.description,
    parameters: {
      ...spec.parameters,
      properties: {
        ...(params.properties ?? {}),
        [REQUEST_HEARTBEAT]: {
          type: 'boolean',
          description:
            'Set true to get control back right after this tool returns, to chain more actions; false to wait for the user.',
        },
      },
      required: [...(params.required ?? []), REQUEST_HEARTBEAT],
    },
  };
}

export function toDefinition(spec: ToolSpec): LlmToolDefinition {
  return once(plainDefinitions, spec, (t) => ({
    name: t.name,
    description: t.description,
    parameters: t.parameters,
  }));
}
