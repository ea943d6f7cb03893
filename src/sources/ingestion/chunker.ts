import { countPieces, countTokens, EXACT_TOKEN_CHARS } from '@engram/llm';
import { splitLines } from '../file-window';

/** A chunk of a file's text and the lines (1-based, inclusive) it came from. */
export interface Chunk {
  text: string;
  startLine: number;
  endLine: number;
}

export interface ChunkOptions {
  /** Target tokens per chunk (the folder's `embedding_chunk_size`). */
  chunkTokens: number;
  /** Tokens of the end of one chunk repeated at the start of the next. */
  overlapTokens: number;
}

/** Characters per token assumed when a single line must be cut (a line longer than a chunk). */
const CHARS_PER_TOKEN = 4;

/**
 * `countTokens` without its cache of recent texts: a file's lines are seen once, and remembering
 * them would push out the counts of the messages that agents' contexts count before every step.
 * The same count (`countTokens` counts a text of up to EXACT_TOKEN_CHARS pre-token by pre-token).
 */
function lineTokens(line: string): number {
  return line.length > EXACT_TOKEN_CHARS ? countTokens(line) : countPieces(line);
}

/**
 * Splits text into chunks of about `chunkTokens` tokens along line boundaries, each starting
 * with the last lines (up to `overlapTokens`) of the one before, and records the line range of
 * each so that search results can cite lines. A line longer than a chunk is cut into pieces,
 * each keeping that line's number. Pure and linear in the text.
 */
export function chunkText(text: string, opts: ChunkOptions): Chunk[] {
  const chunkTokens = Math.max(16, opts.chunkTokens);
  const overlap = Math.max(0, Math.min(opts.overlapTokens, Math.floor(chunkTokens / 2)));
  const pieces: Array<{ text: string; line: number; tokens: number }> = [];
  splitLines(text).forEach((line, i) => {
    if (!line.trim()) return;
    const tokens = lineTokens(line);
    if (tokens <= chunkTokens) {
      pieces.push({ text: line, line: i + 1, tokens });
      return;
    }
    const width = chunkTokens * CHARS_PER_TOKEN;
    for (let at = 0; at < line.length; at += width) {
      const part = line.slice(at, at + width);
      pieces.push({ text: part, line: i + 1, tokens: lineTokens(part) });
    }
  });
  const chunks: Chunk[] = [];
  let start = 0;
  while (start < pieces.length) {
    let end = start;
    let used = 0;
    while (end < pieces.length && (end === start || used + pieces[end].tokens <= chunkTokens)) {
      used += pieces[end].tokens;
      end++;
    }
    const slice = pieces.slice(start, end);
    chunks.push({
      text: slice.map((s) => s.text).join('\n'),
      startLine: slice[0].line,
      endLine: slice[slice.length - 1].line,
    });
    if (end >= pieces.length) break;
    // Step back over the last pieces that fit in the overlap, but always move forward.
    let next = end;
    let back = 0;
    while (next - 1 > start && back + pieces[next - 1].tokens <= overlap) {
      back += pieces[next - 1].tokens;
      next--;
    }
    start = next;
  }
  return chunks;
}
