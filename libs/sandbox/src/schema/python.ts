import { spawn } from 'node:child_process';
import { HIDDEN_PARAMETERS, JsonSchemaProperty, ToolJsonSchema, ToolSchemaError } from '../types';
import { parseGoogleDocstring } from './docstring';
import { PYTHON_AST_SCRIPT } from './python-ast-script';

/** An annotation as the AST script reports it. */
export type PyType =
  | { k: 'name'; id: string; src: string }
  | { k: 'sub'; base: PyType; args: PyType[]; src: string }
  | { k: 'union'; args: PyType[]; src: string }
  | { k: 'const'; v: unknown; src: string }
  | { k: 'ellipsis'; src: string }
  | { k: 'bad'; src: string };

interface PyParam {
  name: string;
  line: number;
  default: boolean;
  type: PyType | null;
}

type AstReply =
  | { error: 'syntax'; line: number | null; msg: string; text: string }
  | { error: 'nofunc'; names: string[] }
  | {
      error?: undefined;
      name: string;
      line: number;
      doc: string | null;
      params: PyParam[];
      varargs: string[];
    };

export interface PythonSchemaOptions {
  pythonPath?: string;
  timeoutMs?: number;
}

/**
 * Derives the OpenAI-style schema of a Python tool from its source without running it: the
 * named top-level `def` (or the last one), its type hints and its Google-style docstring.
 */
export async function derivePythonSchema(
  sourceCode: string,
  functionName?: string,
  options: PythonSchemaOptions = {},
): Promise<ToolJsonSchema> {
  const reply = await runAstScript(sourceCode, functionName, options);
  if (reply.error === 'syntax') {
    const where = reply.line ? ` on line ${reply.line}` : '';
    const text = reply.text ? `: ${reply.text}` : '';
    throw new ToolSchemaError(
      'syntax_error',
      `Python syntax error${where}: ${reply.msg}${text}`,
      reply.line ?? undefined,
    );
  }
  if (reply.error === 'nofunc') {
    const found = reply.names.length ? ` (found: ${reply.names.join(', ')})` : '';
    throw new ToolSchemaError(
      'no_function',
      functionName
        ? `No top-level function named '${functionName}' in the Python source${found}`
        : 'No top-level function (def) found in the Python source',
    );
  }

  const doc = parseGoogleDocstring(reply.doc);
  const properties: Record<string, JsonSchemaProperty> = {};
  const required: string[] = [];
  for (const param of reply.params) {
    if (HIDDEN_PARAMETERS.has(param.name)) continue;
    if (!param.type) {
      throw new ToolSchemaError(
        'missing_annotation',
        `Parameter '${param.name}' of '${reply.name}' has no type annotation`,
        param.line,
      );
    }
    const { schema, optional } = pythonTypeToSchema(param.type, param.name);
    const description = doc.params.get(param.name);
    properties[param.name] = description ? { ...schema, description } : schema;
    if (!param.default && !optional) required.push(param.name);
  }
  return {
    name: reply.name,
    description: doc.description,
    parameters: { type: 'object', properties, required },
  };
}

const SCALARS: Record<string, string> = {
  str: 'string',
  int: 'integer',
  float: 'number',
  bool: 'boolean',
  bytes: 'string',
};
const LISTS = new Set(['list', 'List', 'Sequence', 'Iterable', 'set', 'Set', 'frozenset', 'FrozenSet']);
const DICTS = new Set(['dict', 'Dict', 'Mapping', 'MutableMapping']);
const TUPLES = new Set(['tuple', 'Tuple']);

/** Maps one annotation; `optional` is true when the type admits None (so it is not required). */
export function pythonTypeToSchema(
  t: PyType,
  param: string,
): { schema: JsonSchemaProperty; optional: boolean } {
  const unsupported = (what: PyType = t): never => {
    throw new ToolSchemaError(
      'unsupported_type',
      `Parameter '${param}' has unsupported type '${what.src}'` +
        ' (supported: str, int, float, bool, list[X], dict, tuple[...], Optional[X], X | None, Literal[...])',
    );
  };

  const union = (members: PyType[]) => {
    const flat = members.flatMap((m) => (m.k === 'union' ? m.args : [m]));
    const isNone = (m: PyType) => m.k === 'name' && m.id === 'None';
    const rest = flat.filter((m) => !isNone(m));
    const optional = rest.length < flat.length;
    if (rest.length === 0) return unsupported();
    if (rest.length === 1) return { schema: pythonTypeToSchema(rest[0], param).schema, optional };
    return { schema: { anyOf: rest.map((m) => pythonTypeToSchema(m, param).schema) }, optional };
  };

  switch (t.k) {
    case 'name': {
      if (SCALARS[t.id]) return { schema: { type: SCALARS[t.id] }, optional: false };
      if (LISTS.has(t.id)) return { schema: { type: 'array', items: { type: 'string' } }, optional: false };
      if (DICTS.has(t.id)) return { schema: { type: 'object' }, optional: false };
      if (TUPLES.has(t.id)) return { schema: { type: 'array' }, optional: false };
      return unsupported();
    }
    case 'union':
      return union(t.args);
    case 'sub': {
      if (t.base.k !== 'name') return unsupported();
      const base = t.base.id;
      const args = t.args;
      if (base === 'Optional' && args.length === 1)
        return union([args[0], { k: 'name', id: 'None', src: 'None' }]);
      if (base === 'Union') return union(args);
      if (base === 'Annotated' && args.length >= 1) return pythonTypeToSchema(args[0], param);
      if (base === 'Literal') return { schema: literalSchema(args, unsupported), optional: false };
      if (LISTS.has(base) && args.length === 1) {
        return {
          schema: { type: 'array', items: pythonTypeToSchema(args[0], param).schema },
          optional: false,
        };
      }
      if (DICTS.has(base) && args.length === 2) {
        const key = args[0];
        if (!(key.k === 'name' && key.id === 'str')) return unsupported();
        const value = pythonTypeToSchema(args[1], param).schema;
        return { schema: { type: 'object', additionalProperties: value }, optional: false };
      }
      if (TUPLES.has(base) && args.length >= 1) {
        if (args.length === 2 && args[1].k === 'ellipsis') {
          return {
            schema: { type: 'array', items: pythonTypeToSchema(args[0], param).schema },
            optional: false,
          };
        }
        if (args.some((a) => a.k === 'ellipsis')) return unsupported();
        const prefixItems = args.map((a) => pythonTypeToSchema(a, param).schema);
        return {
          schema: { type: 'array', prefixItems, minItems: args.length, maxItems: args.length },
          optional: false,
        };
      }
      return unsupported();
    }
    default:
      return unsupported();
  }
}

function literalSchema(args: PyType[], unsupported: (t?: PyType) => never): JsonSchemaProperty {
  const values = args.map((a) => (a.k === 'const' ? a.v : unsupported(a)));
  const kinds = new Set(
    values.map((v) =>
      typeof v === 'string'
        ? 'string'
        : typeof v === 'boolean'
          ? 'boolean'
          : Number.isInteger(v)
            ? 'integer'
            : 'number',
    ),
  );
  return kinds.size === 1 ? { type: [...kinds][0], enum: values } : { enum: values };
}

function runAstScript(
  source: string,
  functionName: string | undefined,
  options: PythonSchemaOptions,
): Promise<AstReply> {
  const python = options.pythonPath ?? 'python3';
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(new ToolSchemaError('parser_unavailable', `Could not parse the Python source: ${why}`));
    const child = spawn(python, ['-I', '-S', '-c', PYTHON_AST_SCRIPT, functionName ?? ''], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONIOENCODING: 'utf-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', (e) => fail(`${python} did not start (${e.message})`));
    child.on('close', (code, signal) => {
      try {
        resolve(JSON.parse(out) as AstReply);
      } catch {
        fail(signal ? `parser killed by ${signal}` : `parser exited with ${code}: ${err.trim().slice(-500)}`);
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(source);
  });
}
