/** Languages a tool's `source_code` may be written in (Letta's `source_type`). */
export type ToolSourceType = 'python' | 'typescript' | 'javascript';

/** JSON schema fragment for one parameter (a subset of JSON Schema, as OpenAI function calling reads it). */
export interface JsonSchemaProperty {
  type?: string;
  description?: string;
  items?: JsonSchemaProperty;
  prefixItems?: JsonSchemaProperty[];
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  anyOf?: JsonSchemaProperty[];
  properties?: Record<string, JsonSchemaProperty>;
  required?: string[];
  additionalProperties?: boolean | JsonSchemaProperty;
}

/** OpenAI-style function schema, the shape of Letta's `Tool.json_schema`. */
export interface ToolJsonSchema {
  name: string;
  description: string;
  parameters: {
    type: 'object';
    properties: Record<string, JsonSchemaProperty>;
    required: string[];
  };
}

export type ToolSchemaErrorCode =
  'no_function' | 'syntax_error' | 'unsupported_type' | 'missing_annotation' | 'parser_unavailable';

/** Why a schema could not be derived from a tool's source. `line` is 1-based when known. */
export class ToolSchemaError extends Error {
  override readonly name = 'ToolSchemaError';
  constructor(
    readonly code: ToolSchemaErrorCode,
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Parameters Letta injects or strips itself: never shown to the model, never passed by it. */
export const HIDDEN_PARAMETERS: ReadonlySet<string> = new Set(['request_heartbeat', 'agent_state', 'self']);

export interface SandboxRunRequest {
  sourceType: ToolSourceType;
  sourceCode: string;
  /** The function to call; it must be defined at the top level of `sourceCode`. */
  functionName: string;
  /** Arguments by name, as the model sent them (a JSON object). */
  args: Record<string, unknown>;
  /** The ONLY environment variables the tool sees: the declared tool/agent secrets. */
  env?: Record<string, string>;
  timeoutMs?: number;
  memoryMb?: number;
  returnCharLimit?: number;
}

export interface SandboxResult {
  status: 'success' | 'error';
  /** The return value as a string (strings as-is, other values as JSON), or the error message. */
  funcReturn: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** What isolates Python tools on this machine, found by probing once (see `ToolSandbox.warmup`). */
export type PythonIsolation =
  /**
   * The server is root: new mount, network, PID, IPC and UTS namespaces, a private read-only
   * root holding only the interpreter and its libraries, a private /tmp, user nobody (65534),
   * no capabilities.
   */
  | 'namespaces+nobody'
  /** Not root: the same inside an unprivileged user namespace (the tool is its root, with no capabilities). */
  | 'userns'
  /** Explicitly allowed (`pythonSandbox: 'unconfined'`): rlimits and the audit hook only, no OS boundary. */
  | 'unconfined'
  /** No confinement works here and unconfined runs were not allowed: Python tools are refused. */
  | 'unavailable';
