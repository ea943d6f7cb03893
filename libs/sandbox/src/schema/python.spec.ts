import { ToolSchemaError } from '../types';
import { derivePythonSchema } from './python';

const props = (src: string) => derivePythonSchema(src).then((s) => s.parameters);

describe('derivePythonSchema', () => {
  it('reads name, docstring summary, Args descriptions and required from a Google-style tool', async () => {
    const src = `
import math

def helper(x: int) -> int:
    return x

def roll_dice(sides: int, times: int = 1, label: str = "d") -> str:
    """Roll some dice.

    Uses a fair random source.

    Args:
        sides (int): How many faces
            each die has.
        times: How many rolls.
        label (str): A tag for the result.

    Returns:
        str: The rolls, comma separated.
    """
    return ",".join(str(sides) for _ in range(times))
`;
    expect(await derivePythonSchema(src)).toEqual({
      name: 'roll_dice',
      description: 'Roll some dice.\n\nUses a fair random source.',
      parameters: {
        type: 'object',
        properties: {
          sides: { type: 'integer', description: 'How many faces each die has.' },
          times: { type: 'integer', description: 'How many rolls.' },
          label: { type: 'string', description: 'A tag for the result.' },
        },
        required: ['sides'],
      },
    });
  });

  it('picks the named function over the last one', async () => {
    const schema = await derivePythonSchema('def a(x: str):\n  pass\n\ndef b(y: int):\n  pass\n', 'a');
    expect(schema.name).toBe('a');
    expect(schema.parameters.required).toEqual(['x']);
  });

  it.each([
    ['str', { type: 'string' }, true],
    ['float', { type: 'number' }, true],
    ['bool', { type: 'boolean' }, true],
    ['list', { type: 'array', items: { type: 'string' } }, true],
    ['List[int]', { type: 'array', items: { type: 'integer' } }, true],
    ['list[list[str]]', { type: 'array', items: { type: 'array', items: { type: 'string' } } }, true],
    ['dict', { type: 'object' }, true],
    ['Dict[str, int]', { type: 'object', additionalProperties: { type: 'integer' } }, true],
    ['Optional[int]', { type: 'integer' }, false],
    ['typing.Optional[str]', { type: 'string' }, false],
    ['int | None', { type: 'integer' }, false],
    ['Union[str, None]', { type: 'string' }, false],
    ['Union[str, int]', { anyOf: [{ type: 'string' }, { type: 'integer' }] }, true],
    ["Literal['a', 'b']", { type: 'string', enum: ['a', 'b'] }, true],
    ['Literal[1, 2]', { type: 'integer', enum: [1, 2] }, true],
    ["Optional[Literal['x']]", { type: 'string', enum: ['x'] }, false],
    [
      'tuple[int, str]',
      { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'string' }], minItems: 2, maxItems: 2 },
      true,
    ],
    ['"List[str]"', { type: 'array', items: { type: 'string' } }, true],
  ])('maps %s', async (annotation, expected, required) => {
    const p = await props(`from typing import *\ndef f(v: ${annotation}):\n    pass\n`);
    expect(p.properties.v).toEqual(expected);
    expect(p.required).toEqual(required ? ['v'] : []);
  });

  it('handles keyword-only args, async defs and hides request_heartbeat / agent_state', async () => {
    const p = await props(
      'async def f(agent_state: "AgentState", a: str, *, b: int, c: bool = False, request_heartbeat: bool = True):\n  pass',
    );
    expect(Object.keys(p.properties)).toEqual(['a', 'b', 'c']);
    expect(p.required).toEqual(['a', 'b']);
  });

  it('allows a missing docstring (empty description, no property descriptions)', async () => {
    const schema = await derivePythonSchema('def f(a: str):\n  return a');
    expect(schema.description).toBe('');
    expect(schema.parameters.properties.a).toEqual({ type: 'string' });
  });

  it.each([
    ['x = 1\n', 'no_function', /No top-level function \(def\) found/],
    ['class A:\n  def m(self, x: int): pass\n', 'no_function', /No top-level function/],
    ['def f(a: int):\n  return (\n\ndef g(): pass\n', 'syntax_error', /syntax error on line \d+/],
    ['def f(a: int)\n  pass\n', 'syntax_error', /on line 1: expected ':'/],
    ['def f(a):\n  pass\n', 'missing_annotation', /Parameter 'a' of 'f' has no type annotation/],
    ['def f(a: MyModel):\n  pass\n', 'unsupported_type', /Parameter 'a' has unsupported type 'MyModel'/],
    ['def f(a: Dict[int, str]):\n  pass\n', 'unsupported_type', /'Dict\[int, str\]'/],
    ['def f(a: Callable[[int], int]):\n  pass\n', 'unsupported_type', /Parameter 'a'/],
  ])('rejects %j with %s', async (src, code, message) => {
    const error = await derivePythonSchema(src).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolSchemaError);
    expect((error as ToolSchemaError).code).toBe(code);
    expect((error as ToolSchemaError).message).toMatch(message);
  });

  it('names the missing function when one is asked for', async () => {
    await expect(derivePythonSchema('def a(): pass\ndef b(): pass', 'c')).rejects.toThrow(
      "No top-level function named 'c' in the Python source (found: a, b)",
    );
  });

  it('reports the syntax error line', async () => {
    const error = (await derivePythonSchema('def ok():\n  pass\n\ndef f(:\n  pass').catch(
      (e) => e,
    )) as ToolSchemaError;
    expect(error.line).toBe(4);
  });
});
