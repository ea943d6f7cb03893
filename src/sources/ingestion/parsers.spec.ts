import { makePdf } from '../../../test/support/documents';
import { parseFile } from './parsers';

describe('parseFile (pdf)', () => {
  it('reads every page of a multi-page PDF with deflated content streams, in order', async () => {
    const lines = Array.from({ length: 150 }, (_, i) => `Line ${i + 1}: the valve (number ${i}) is checked.`);
    const pdf = makePdf(lines, { linesPerPage: 60, compress: true });
    expect(pdf.includes('/FlateDecode')).toBe(true);
    const text = await parseFile('pdf', pdf);
    const found = text.split('\n').filter((l) => l.startsWith('Line '));
    expect(found).toEqual(lines);
    // Pages are separated by a blank line: after lines 60 and 120.
    expect(text).toContain('is checked.\n\nLine 61:');
    expect(text).toContain('is checked.\n\nLine 121:');
  });

  it('reads a one-page PDF as before', async () => {
    expect(await parseFile('pdf', makePdf(['The walrus code is 4411', 'Second line here']))).toBe(
      'The walrus code is 4411\nSecond line here',
    );
  });
});
