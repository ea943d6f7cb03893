/** A Google-style docstring, reduced to what a tool schema needs. */
export interface ParsedDocstring {
  /** Everything before the first section header (summary and long description). */
  description: string;
  /** `Args:` entries by parameter name (leading `*`/`**` removed). */
  params: Map<string, string>;
}

const SECTION =
  /^(args|arguments|parameters|params|keyword args|keyword arguments|kwargs|other parameters|returns?|yields?|raises|exceptions?|examples?|notes?|attributes|see also|todo|warnings?|references)\s*:\s*$/i;
const ARG_SECTION =
  /^(args|arguments|parameters|params|keyword args|keyword arguments|kwargs|other parameters)$/i;
/** `name (type): text`, `name: text`, `*args: text`. */
const ARG_ENTRY = /^\*{0,2}([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$/;

const indentOf = (line: string): number => line.length - line.trimStart().length;

/**
 * Reads a Google-style docstring (already dedented, as Python's `inspect.cleandoc` leaves it).
 * Unknown shapes degrade gracefully: text that is not a recognised section is description.
 */
export function parseGoogleDocstring(doc: string | null | undefined): ParsedDocstring {
  const params = new Map<string, string>();
  if (!doc) return { description: '', params };
  const lines = doc.replace(/\r\n?/g, '\n').split('\n');

  const descriptionLines: string[] = [];
  let section: string | null = null;
  let sectionIndent = 0;
  let entryIndent: number | null = null;
  let current: string | null = null;

  for (const line of lines) {
    const trimmed = line.trim();
    const header = SECTION.exec(trimmed);
    if (header && (section === null || indentOf(line) <= sectionIndent)) {
      section = header[1].toLowerCase();
      sectionIndent = indentOf(line);
      entryIndent = null;
      current = null;
      continue;
    }
    if (section === null) {
      descriptionLines.push(line);
      continue;
    }
    if (!ARG_SECTION.test(section) || trimmed === '') continue;

    const indent = indentOf(line);
    if (indent <= sectionIndent) {
      // Dedented text closes the section; Google style has nothing else to say there.
      section = 'other';
      continue;
    }
    entryIndent ??= indent;
    const entry = indent === entryIndent ? ARG_ENTRY.exec(trimmed) : null;
    if (entry) {
      current = entry[1];
      params.set(current, entry[3].trim());
    } else if (current !== null) {
      const previous = params.get(current) ?? '';
      params.set(current, previous ? `${previous} ${trimmed}` : trimmed);
    }
  }

  return { description: descriptionLines.join('\n').trim(), params };
}
