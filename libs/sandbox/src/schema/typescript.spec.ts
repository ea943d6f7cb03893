import { ToolSchemaError } from '../types';
import { describeTypeScriptTool, deriveTypeScriptSchema } from './typescript';

describe('deriveTypeScriptSchema', () => {
  it('reads the exported function, its JSDoc and @param descriptions', () => {
    const src = `
interface Filter {
  field: string;
  /** Value to match. */
  value?: string;
}
function helper(x: number) { return x; }
/**
 * Search the catalogue.
 * @param query - Words to look for.
 * @param limit How many results.
 */
export async function search(query: string, limit = 10 as number, filter?: Filter, tags: string[] = []): Promise<string> {
  return query;
}
`;
    expect(deriveTypeScriptSchema(src)).toEqual({
      name: 'search',
      description: 'Search the catalogue.',
      parameters: {
        type: 'object',
        properties: {
          query: { type: 'string', description: 'Words to look for.' },
          limit: { type: 'number', description: 'How many results.' },
          filter: {
            type: 'object',
            properties: {
              field: { type: 'string' },
              value: { type: 'string', description: 'Value to match.' },
            },
            required: ['field'],
          },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['query'],
      },
    });
  });

  it.each([
    ['string', { type: 'string' }, true],
    ['number', { type: 'number' }, true],
    ['boolean', { type: 'boolean' }, true],
    ['number[]', { type: 'array', items: { type: 'number' } }, true],
    ['Array<boolean>', { type: 'array', items: { type: 'boolean' } }, true],
    ["'asc' | 'desc'", { type: 'string', enum: ['asc', 'desc'] }, true],
    ['1 | 2 | 3', { type: 'integer', enum: [1, 2, 3] }, true],
    ['string | undefined', { type: 'string' }, false],
    ['number | null', { type: 'number' }, false],
    ['string | number', { anyOf: [{ type: 'string' }, { type: 'number' }] }, true],
    [
      '{ a: string; b?: number }',
      { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } }, required: ['a'] },
      true,
    ],
    ['Record<string, number>', { type: 'object', additionalProperties: { type: 'number' } }, true],
    ['Mode', { type: 'string', enum: ['fast', 'slow'] }, true],
    [
      '[string, number]',
      { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], minItems: 2, maxItems: 2 },
      true,
    ],
  ])('maps %s', (type, expected, required) => {
    const schema = deriveTypeScriptSchema(
      `type Mode = 'fast' | 'slow';\nexport function f(v: ${type}) { return 1; }`,
    );
    expect(schema.parameters.properties.v).toEqual(expected);
    expect(schema.parameters.required).toEqual(required ? ['v'] : []);
  });

  it('treats `?` and defaults as optional and hides request_heartbeat', () => {
    const schema = deriveTypeScriptSchema(
      'function f(a: string, b?: number, c = 1 as number, request_heartbeat?: boolean) {}',
    );
    expect(Object.keys(schema.parameters.properties)).toEqual(['a', 'b', 'c']);
    expect(schema.parameters.required).toEqual(['a']);
  });

  it('flattens a single destructured object parameter and reports the call shape', () => {
    const d = describeTypeScriptTool(
      '/** Add. @param a first */\nexport const add = ({ a, b }: { a: number; b?: number }) => a + (b ?? 0);',
    );
    expect(d.schema.parameters).toEqual({
      type: 'object',
      properties: { a: { type: 'number', description: 'first' }, b: { type: 'number' } },
      required: ['a'],
    });
    expect(d.schema.description).toBe('Add.');
    expect(d.call).toEqual({ name: 'add', parameterNames: ['{ a, b }'], singleObject: true });
  });

  it('picks a named function, else the last exported, else the last one', () => {
    const src = 'function a(x: string) {}\nexport function b(y: string) {}\nfunction c(z: string) {}';
    expect(deriveTypeScriptSchema(src).name).toBe('b');
    expect(deriveTypeScriptSchema(src, 'c').name).toBe('c');
    expect(deriveTypeScriptSchema('function a() {}\nconst c = function (z: string) {};').name).toBe('c');
  });

  it.each([
    ['const x = 1;', 'no_function', /No top-level function found/],
    ['function f(a: string {\n}', 'syntax_error', /TypeScript syntax error on line 1/],
    ['function f(a) { return a; }', 'missing_annotation', /Parameter 'a' of 'f' has no type annotation/],
    ['function f(a: Date) {}', 'unsupported_type', /Parameter 'a' has unsupported type 'Date'/],
    ['function f(a: { g(): void }) {}', 'unsupported_type', /Parameter 'a' has an unsupported member/],
    ['function f(...a: string[]) {}', 'unsupported_type', /Rest parameter/],
  ])('rejects %j with %s', (src, code, message) => {
    let error: unknown;
    try {
      deriveTypeScriptSchema(src);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ToolSchemaError);
    expect((error as ToolSchemaError).code).toBe(code);
    expect((error as ToolSchemaError).message).toMatch(message);
  });

  it('names the function it could not find', () => {
    expect(() => deriveTypeScriptSchema('function a() {}', 'zz')).toThrow(
      "No top-level function named 'zz' in the TypeScript source (found: a)",
    );
  });
});
