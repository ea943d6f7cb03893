/**
 * What an agent sees of an open file: numbered lines from `offset` (0-based) for `length` lines,
 * cut at `charLimit` characters with a note that says how to see the rest. Pure.
 */
export interface FileWindow {
  content: string;
  /** 1-based first line shown. */
  startLine: number;
  /** 1-based line after the last shown (exclusive), as Letta stores it. */
  endLine: number;
  totalLines: number;
}

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function fileWindow(
  text: string,
  opts: { offset?: number | null; length?: number | null },
  charLimit: number,
): FileWindow {
  const lines = splitLines(text);
  const total = lines.length;
  const start = Math.min(Math.max(0, opts.offset ?? 0), total);
  const end = opts.length != null ? Math.min(total, start + Math.max(0, opts.length)) : total;
  const header =
    start === 0 && end === total
      ? `[Viewing file start (out of ${total} lines)]`
      : `[Viewing lines ${start + 1} to ${end} (out of ${total} lines)]`;
  const out = [header];
  let used = header.length;
  let shown = start;
  for (let i = start; i < end; i++) {
    const line = `${i + 1}: ${lines[i]}`;
    if (used + 1 + line.length > charLimit && i > start) break;
    out.push(line.length > charLimit ? line.slice(0, charLimit) : line);
    used += 1 + line.length;
    shown = i + 1;
  }
  if (shown < end)
    out.push(
      `# NOTE: This view is truncated at ${charLimit} characters; open the file with offset=${shown} to see line ${shown + 1} on.`,
    );
  return { content: out.join('\n'), startLine: start + 1, endLine: shown + 1, totalLines: total };
}
