import { countTokens } from '@engram/llm';
import { fileWindow } from '../file-window';
import { chunkText } from './chunker';
import { htmlToText } from './parsers';

describe('chunkText', () => {
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i + 1} says word${i} and more words here`);
  const text = lines.join('\n');

  it('cuts along lines within the token budget, overlapping, with the line range of each chunk', () => {
    const chunks = chunkText(text, { chunkTokens: 60, overlapTokens: 12 });
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks[0].startLine).toBe(1);
    expect(chunks[chunks.length - 1].endLine).toBe(200);
    for (const c of chunks) {
      expect(c.text).toBe(lines.slice(c.startLine - 1, c.endLine).join('\n'));
    }
    for (let i = 1; i < chunks.length; i++) {
      // Each chunk starts inside the one before (overlap) and moves forward.
      expect(chunks[i].startLine).toBeGreaterThan(chunks[i - 1].startLine);
      expect(chunks[i].startLine).toBeLessThanOrEqual(chunks[i - 1].endLine);
    }
    const covered = new Set(
      chunks.flatMap((c) => Array.from({ length: c.endLine - c.startLine + 1 }, (_, k) => c.startLine + k)),
    );
    expect(covered.size).toBe(200);
  });

  it('cuts a line longer than a chunk into pieces that keep its number, and skips blank lines', () => {
    const long = 'x'.repeat(5_000);
    const chunks = chunkText(`first\n\n\n${long}\nlast`, { chunkTokens: 100, overlapTokens: 0 });
    expect(chunks[0].startLine).toBe(1);
    const pieces = chunks.filter((c) => c.text.startsWith('x'));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((c) => c.startLine === 4)).toBe(true);
    expect(chunks[chunks.length - 1]).toMatchObject({ endLine: 5 });
    expect(chunks.map((c) => c.text).join('')).toContain(long.slice(0, 100));
  });

  it('fills each chunk with whole lines up to the budget, as countTokens counts them', () => {
    // Lines of every kind countTokens treats apart: short, past its segment size, CJK, URLs.
    const kinds = [
      (i: number) => `short ${i}`,
      (i: number) => `A sentence of prose that wraps at eighty characters, number ${i}, with a comma.`,
      (i: number) => `${'long line of words '.repeat(60)}${i}`,
      (i: number) => `记忆块 is memory ${i}; 😀 https://example.com/a?b=${i}`,
    ];
    const all = Array.from({ length: 400 }, (_, i) => kinds[(i * 7) % 4](i));
    const chunkTokens = 300;
    const chunks = chunkText(all.join('\n'), { chunkTokens, overlapTokens: 45 });
    const tokens = (from: number, to: number) =>
      all.slice(from - 1, to).reduce((n, l) => n + countTokens(l), 0);
    for (const [k, c] of chunks.entries()) {
      expect(c.text).toBe(all.slice(c.startLine - 1, c.endLine).join('\n'));
      const used = tokens(c.startLine, c.endLine);
      // Within the budget (a chunk's first line always fits), and the next line would not have fit.
      if (c.endLine > c.startLine) expect(used).toBeLessThanOrEqual(chunkTokens);
      if (k < chunks.length - 1) expect(used + countTokens(all[c.endLine])).toBeGreaterThan(chunkTokens);
    }
    expect(chunks[chunks.length - 1].endLine).toBe(all.length);
  });

  it('answers no chunks for empty text', () => {
    expect(chunkText('', { chunkTokens: 100, overlapTokens: 10 })).toEqual([]);
  });
});

describe('fileWindow', () => {
  const text = ['alpha', 'beta', 'gamma', 'delta'].join('\n');
  it('numbers the lines of the whole file or of a range', () => {
    expect(fileWindow(text, {}, 1000).content).toBe(
      '[Viewing file start (out of 4 lines)]\n1: alpha\n2: beta\n3: gamma\n4: delta',
    );
    expect(fileWindow(text, { offset: 1, length: 2 }, 1000)).toEqual({
      content: '[Viewing lines 2 to 3 (out of 4 lines)]\n2: beta\n3: gamma',
      startLine: 2,
      endLine: 4,
      totalLines: 4,
    });
  });
  it('cuts at the character limit and says where to go on', () => {
    const w = fileWindow(text, {}, 50);
    expect(w.content).toContain('1: alpha');
    expect(w.content).not.toContain('4: delta');
    expect(w.content).toMatch(/open the file with offset=\d/);
  });
});

describe('htmlToText', () => {
  it('keeps text, drops scripts, styles and comments, and decodes entities', () => {
    expect(
      htmlToText(
        '<style>p{}</style><!-- c --><h1>A &amp; B</h1><p>x&#33; <b>y</b></p><script>bad()</script><p>z</p>',
      ),
    ).toBe('A & B\n\nx! y\n\nz');
  });
});
