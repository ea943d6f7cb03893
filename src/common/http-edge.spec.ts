import { inspectValue, jsonDepthExceeds, textProblem } from './http-edge';

describe('input checks', () => {
  it('measures JSON depth outside strings only, escapes included', () => {
    expect(jsonDepthExceeds('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":[1,{"b":2}]}', 2)).toBe(true);
    expect(jsonDepthExceeds(JSON.stringify({ s: '[[[[{{{{"\\' }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ s: 'a\\"[[[' }), 1)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(100_000) + ']'.repeat(100_000), 64)).toBe(true);
  });

  it('finds NULs and unpaired surrogates, and accepts pairs', () => {
    expect(textProblem('plain')).toBeUndefined();
    expect(textProblem('emoji 🧠')).toBeUndefined();
    expect(textProblem('a\u0000')).toContain('NUL');
    expect(textProblem('\ud83e')).toContain('unpaired');
    expect(textProblem('\udde0x')).toContain('unpaired');
    expect(textProblem('x\ud83e\ud83e\udde0')).toContain('unpaired');
  });

  it('names the path of the first problem, keys included, without recursion', () => {
    expect(inspectValue({ a: [{ b: 'ok' }, { c: 'x\u0000' }] })).toMatchObject({
      path: 'a[1].c',
      status: 422,
    });
    expect(inspectValue({ 'we ird\u0000': 1 })).toMatchObject({
      status: 422,
      problem: expect.stringContaining('field name'),
    });
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(inspectValue(deep)).toMatchObject({ status: 400 });
    expect(inspectValue({ fine: [1, 'two', { three: null }] })).toBeUndefined();
    expect(inspectValue(JSON.parse('{"a":{"__proto__":{"admin":true}}}'))).toMatchObject({
      path: 'a.__proto__',
      status: 400,
    });
    expect(inspectValue(JSON.parse('{"constructor":{"prototype":{}}}'))).toMatchObject({ status: 400 });
    expect(inspectValue({ constructor: 'a plain field' })).toBeUndefined();
  });
});
