import {
  derivePythonSchema,
  deriveTypeScriptSchema,
  ToolSchemaError,
  ToolSchemaErrorCode,
} from '@engram/sandbox';
import { InvalidInputError } from '../common/errors';
import type { SourceType } from './dto/tool.dto';

/** OpenAI function names: what every provider accepts as a tool name. */
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export interface ResolvedSchema {
  name: string;
  description: string | null;
  jsonSchema: Record<string, unknown>;
}

export interface SchemaInput {
  sourceType: SourceType;
  sourceCode: string;
  jsonSchema?: Record<string, unknown> | null;
  argsJsonSchema?: Record<string, unknown> | null;
}

/**
 * The JSON schema a tool is stored with: the given `json_schema` (checked for shape, and its
 * name must be a function in the source), else one derived from the source's signature and
 * docstring/JSDoc, with `args_json_schema` as its parameters when given. Every problem is a 422
 * whose message names it.
 */
export async function resolveToolSchema(input: SchemaInput): Promise<ResolvedSchema> {
  if (input.jsonSchema) {
    const schema = assertJsonSchemaShape(input.jsonSchema, 'json_schema');
    // The schema names the function to call: it must exist and parse; its hints may be anything.
    await derive(input.sourceType, input.sourceCode, schema.name as string, ['no_function', 'syntax_error']);
    return { name: schema.name as string, description: describe(schema), jsonSchema: schema };
  }
  const derived = { ...(await derive(input.sourceType, input.sourceCode))! } as Record<string, unknown>;
  if (input.argsJsonSchema) {
    derived.parameters = assertParametersShape(input.argsJsonSchema, 'args_json_schema');
  }
  return { name: derived.name as string, description: describe(derived), jsonSchema: derived };
}

async function derive(
  sourceType: SourceType,
  source: string,
  functionName?: string,
  fatal?: ToolSchemaErrorCode[],
) {
  try {
    return sourceType === 'python'
      ? await derivePythonSchema(source, functionName)
      : deriveTypeScriptSchema(source, functionName);
  } catch (e) {
    if (!(e instanceof ToolSchemaError)) throw e;
    if (fatal && !fatal.includes(e.code)) return undefined;
    throw new InvalidInputError(`source_code: ${e.message}`, `schema_${e.code}`);
  }
}

function describe(schema: Record<string, unknown>): string | null {
  return typeof schema.description === 'string' && schema.description !== '' ? schema.description : null;
}

/** A function schema as OpenAI reads it: `{ name, description?, parameters: { type: 'object', ... } }`. */
export function assertJsonSchemaShape(
  value: Record<string, unknown>,
  field: string,
): Record<string, unknown> {
  const name = value.name;
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
    throw new InvalidInputError(
      `${field}.name must be a function name of letters, digits, '_' or '-' (at most 64, not starting with a digit)`,
    );
  }
  if (
    value.description !== undefined &&
    value.description !== null &&
    typeof value.description !== 'string'
  ) {
    throw new InvalidInputError(`${field}.description must be a string`);
  }
  if (value.parameters === undefined) throw new InvalidInputError(`${field}.parameters is required`);
  return { ...value, parameters: assertParametersShape(value.parameters, `${field}.parameters`) };
}

function assertParametersShape(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${field} must be a JSON schema object`);
  }
  const p = value as Record<string, unknown>;
  if (p.type !== 'object') throw new InvalidInputError(`${field}.type must be 'object'`);
  const props = p.properties ?? {};
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    throw new InvalidInputError(`${field}.properties must be an object`);
  }
  for (const [key, prop] of Object.entries(props)) {
    if (typeof prop !== 'object' || prop === null || Array.isArray(prop)) {
      throw new InvalidInputError(`${field}.properties.${key} must be a JSON schema object`);
    }
  }
  const required = p.required ?? [];
  if (!Array.isArray(required) || required.some((r) => typeof r !== 'string')) {
    throw new InvalidInputError(`${field}.required must be an array of property names`);
  }
  const unknownRequired = (required as string[]).find((r) => !(r in props));
  if (unknownRequired)
    throw new InvalidInputError(`${field}.required names '${unknownRequired}', which is not a property`);
  return { ...p, properties: props, required };
}
