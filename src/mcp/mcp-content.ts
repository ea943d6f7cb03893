/**
 * Pure translations between MCP and Letta: a tool's inputSchema → the tool row's json_schema,
 * and a tools/call result → the text of a tool return.
 */

/** The parts of an MCP `Tool` (tools/list) that a tool row keeps. */
export interface McpToolInfo {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

/** The parts of an MCP `CallToolResult` a tool return is made of. */
export interface McpCallResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
  toolResult?: unknown;
}

export const EMPTY_RESPONSE = 'Empty response from tool';

/**
 * Letta's function schema `{ name, description, parameters }` with the MCP inputSchema as
 * parameters: always an object with `properties` and `required`, minus the `$schema` marker.
 * The agent loop adds `request_heartbeat` itself, so it is not stored.
 */
export function toolJsonSchema(tool: McpToolInfo): Record<string, unknown> {
  const { $schema: _ignored, ...input } = (tool.inputSchema ?? {}) as Record<string, unknown>;
  const properties = isObject(input.properties) ? input.properties : {};
  const required = Array.isArray(input.required) ? input.required.filter((r) => typeof r === 'string') : [];
  return {
    name: tool.name,
    description: tool.description ?? '',
    parameters: { ...input, type: 'object', properties, required },
  };
}

/**
 * The text of a tool return: text parts as they are (one per line), other parts summarized
 * (an image is not text an LLM can read from a tool return), structured content as JSON when
 * there is nothing else.
 */
export function resultText(result: McpCallResult): string {
  const parts = (result.content ?? []).map(describePart).filter((s) => s !== '');
  if (parts.length) return parts.join('\n');
  if (result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  if (result.toolResult !== undefined)
    return typeof result.toolResult === 'string' ? result.toolResult : JSON.stringify(result.toolResult);
  return EMPTY_RESPONSE;
}

function describePart(part: unknown): string {
  if (!isObject(part)) return String(part);
  switch (part.type) {
    case 'text':
      return typeof part.text === 'string' ? part.text : '';
    case 'image':
    case 'audio':
      return `[${part.type}: ${str(part.mimeType, 'unknown type')}, ${base64Bytes(part.data)} bytes, not shown]`;
    case 'resource': {
      const r = isObject(part.resource) ? part.resource : {};
      if (typeof r.text === 'string') return `[resource ${str(r.uri, '')}]\n${r.text}`;
      return `[resource ${str(r.uri, '')}: ${str(r.mimeType, 'binary')}, ${base64Bytes(r.blob)} bytes, not shown]`;
    }
    case 'resource_link':
      return `[resource link: ${str(part.uri, '')}${typeof part.name === 'string' ? ` (${part.name})` : ''}]`;
    default:
      return `[${str(part.type, 'unknown')} content]`;
  }
}

function base64Bytes(data: unknown): number {
  if (typeof data !== 'string') return 0;
  const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - pad);
}

const str = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The environment of a stdio server's process: exactly the configured variables plus PATH (so
 * `node`, `npx`, `uvx` resolve). The MCP SDK adds HOME, USER, SHELL, ... from the server's own
 * environment unless a key is present; `undefined` values make Node leave them out.
 */
export function stdioEnv(configured: Record<string, string>, inherited: string[], path: string | undefined) {
  const env: Record<string, string | undefined> = Object.fromEntries(inherited.map((k) => [k, undefined]));
  if (path !== undefined) env.PATH = path;
  return { ...env, ...configured } as Record<string, string>;
}
