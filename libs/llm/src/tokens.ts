/**
 * Token counting with tiktoken's o200k_base encoding (GPT-4o and later). For other providers
 * the figure is an estimate, which is all context-window budgeting needs; the provider's own
 * usage report stays the source of truth for billing.
 *
 * Counting runs on the event loop, so its cost is bounded whatever the text:
 * - js-tiktoken's byte-pair merge costs about the cube of the length of one pre-token (the
 *   pieces tiktoken's regex cuts text into before merging), and a run with no break
 *   (`xxxx...`, a line of `=`, CJK prose, a block of spaces) is one pre-token: 8,000 `x` took
 *   4.5 s. A pre-token longer than `PIECE_BYTES` UTF-8 bytes is encoded in slices of that size
 *   instead, and past `PIECE_SLICES` slices its count is extrapolated from theirs (a pre-token
 *   is one kind of character: letters, digits, punctuation or whitespace, so its tokens per
 *   byte hardly change along it). Text whose pre-tokens are all shorter (prose, code, JSON,
 *   URLs) counts exactly; a sliced one may count a few percent high.
 * - Encoding costs about 1 µs per character, so a text longer than `EXACT_TOKEN_CHARS` is
 *   estimated: `SAMPLE_WINDOWS` windows spread over it are counted as above and their tokens
 *   per character scale to the whole length. An estimate costs the same for 20 kB as for 4 MB.
 * `npm run bench:tokens` measures the time and the estimate's error against exact counts.
 *
 * The encoding tables ship inside js-tiktoken (no download) and take a few MB; building the
 * encoder takes about half a second, so servers call `warmTokenizer()` at start-up rather than
 * paying it inside the first request.
 */
import { Tiktoken, TiktokenBPE } from 'js-tiktoken/lite';
import { LlmMessage, LlmToolDefinition } from './types';

/** A pre-token longer than this (in UTF-8 bytes) is encoded in slices of at most this size. */
export const PIECE_BYTES = 32;
/** Slices of one long pre-token encoded before the rest of it is extrapolated. */
const PIECE_SLICES = 8;
/** Characters counted to estimate a long text: `SAMPLE_WINDOWS` windows of `WINDOW_CHARS`. */
const SAMPLE_WINDOWS = 64;
const WINDOW_CHARS = 128;
export const SAMPLE_CHARS = SAMPLE_WINDOWS * WINDOW_CHARS;
/** Texts up to this many characters are counted; longer ones are estimated (at the same cost). */
export const EXACT_TOKEN_CHARS = SAMPLE_CHARS;

let encoder: { tiktoken: Tiktoken; pattern: RegExp } | undefined;

function getEncoder(): { tiktoken: Tiktoken; pattern: RegExp } {
  if (!encoder) {
    // Loaded lazily and by subpath so only this one table is read (the package index loads all).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require('js-tiktoken/ranks/o200k_base') as TiktokenBPE & { default?: TiktokenBPE };
    const ranks = loaded.default ?? loaded;
    encoder = { tiktoken: new Tiktoken(ranks), pattern: new RegExp(ranks.pat_str, 'gu') };
  }
  return encoder;
}

/** Builds the encoder now (about 0.5 s), so the first request that counts tokens does not wait for it. */
export function warmTokenizer(): void {
  countPieces('warm up: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 记忆 {"a": 1}');
}

/**
 * Recently counted texts. A context is counted again before every step, and most of it is the
 * same messages as last time: a lookup (about 1 µs for a 100-character message read anew from
 * the database, hashing included) is some 30 times cheaper than encoding it again (33 µs).
 * Only texts too short to be worth a map entry are counted every time.
 */
const cache = new Map<string, number>();
const CACHE_MIN_CHARS = 24;
const CACHE_MAX_ENTRIES = 50_000;
/** The cache keeps its texts alive: bound the characters it holds, not only the entries. */
const CACHE_MAX_CHARS = 16 * 1024 * 1024;
let cachedChars = 0;

/** Tokens in a piece of text: counted up to `EXACT_TOKEN_CHARS` characters, estimated beyond. */
export function countTokens(text: string): number {
  if (!text) return 0;
  if (text.length < CACHE_MIN_CHARS) return countPieces(text);
  const hit = cache.get(text);
  if (hit !== undefined) {
    // Most recently used last, so the eviction below drops the texts no context holds any more.
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const n =
    text.length > EXACT_TOKEN_CHARS
      ? estimateTokens(text)
      : text.length > 2 * SEGMENT_CHARS
        ? countBySegments(text)
        : countPieces(text);
  remember(text, n);
  return n;
}

/** A text longer than twice this is counted as segments of about this many characters. */
const SEGMENT_CHARS = 512;

/**
 * The exact count of a text as the sum of its line-aligned segments, each counted through the
 * cache. A system prompt is compiled again before every step and differs from the last one only
 * in a few lines (the clock, the memory counts, an edited block), so only those segments are
 * encoded again. A segment ends after a newline that the next character does not continue (not
 * whitespace, not `/`): tiktoken's pre-tokens never span such a place, and byte-pair merges never
 * cross a pre-token, so the sum is the whole text's count.
 */
function countBySegments(text: string): number {
  let total = 0;
  let start = 0;
  let from = SEGMENT_CHARS;
  while (from < text.length) {
    const nl = text.indexOf('\n', from);
    if (nl < 0 || nl + 1 >= text.length) break;
    const next = text.charCodeAt(nl + 1);
    if (isSpace(next) || next === 0x2f /* / */) {
      from = nl + 1;
      continue;
    }
    total += countSegment(text.slice(start, nl + 1));
    start = nl + 1;
    from = start + SEGMENT_CHARS;
  }
  return total + countSegment(text.slice(start));
}

function countSegment(segment: string): number {
  const hit = cache.get(segment);
  if (hit !== undefined) return hit;
  const n = countPieces(segment);
  remember(segment, n);
  return n;
}

function remember(text: string, n: number): void {
  if (text.length > CACHE_MAX_CHARS / 4) return;
  if (cache.size >= CACHE_MAX_ENTRIES || cachedChars + text.length > CACHE_MAX_CHARS)
    evictOldest(text.length);
  cache.set(text, n);
  cachedChars += text.length;
}

/**
 * Drops the least recently used texts, an eighth of the bounds at once, making room for
 * `incoming` characters. One at a time (`cache.keys().next()` per new text) cost a walk over
 * every entry deleted before it, which a Map's iterator skips slot by slot until the table is
 * rebuilt: once the cache was full, counting a new line took 20 µs instead of 2 (file ingestion
 * counts every line).
 */
function evictOldest(incoming: number): void {
  const entries = CACHE_MAX_ENTRIES - CACHE_MAX_ENTRIES / 8;
  const chars = CACHE_MAX_CHARS - CACHE_MAX_CHARS / 8 - incoming;
  for (const oldest of cache.keys()) {
    if (cache.size <= entries && cachedChars <= chars) break;
    cache.delete(oldest);
    cachedChars -= oldest.length;
  }
}

/** tiktoken's count, with special-token text (`<|endoftext|>`) counted as ordinary text. */
function encodeCount(text: string): number {
  return getEncoder().tiktoken.encode(text, [], []).length;
}

/**
 * tiktoken's count of `text`, pre-token by pre-token: byte-pair merges never cross a pre-token,
 * so the count of a text is the sum of its pre-tokens' counts. An ordinary pre-token (a word, a
 * number, a run of punctuation or spaces) is counted once and remembered: js-tiktoken's own
 * `encode` costs some 20-30 µs a call whatever the length (it builds its regular expressions
 * anew), and texts repeat their words. One longer than `PIECE_BYTES` is counted slice by slice.
 */
export function countPieces(text: string): number {
  const { pattern } = getEncoder();
  let total = 0;
  pattern.lastIndex = 0;
  for (const match of text.matchAll(pattern)) {
    const piece = match[0];
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so shorter pieces need no byte count.
    total +=
      piece.length * 3 <= PIECE_BYTES || Buffer.byteLength(piece) <= PIECE_BYTES
        ? countPiece(piece)
        : countLongPiece(piece);
  }
  return total;
}

/** `encodeCount` remembered for up to `max` texts (all forgotten at once past that). */
function rememberedCount(max: number): (text: string) => number {
  const counts = new Map<string, number>();
  return (text) => {
    let n = counts.get(text);
    if (n === undefined) {
      n = encodeCount(text);
      if (counts.size >= max) counts.clear();
      counts.set(text, n);
    }
    return n;
  };
}

/** The ordinary pre-tokens seen: a vocabulary, so it stays small (and is cleared if not). */
const countPiece = rememberedCount(100_000);
/** Recent slices of long pre-tokens: runs repeat them (`xxxx`, `====`), each a cubic merge. */
const countSlice = rememberedCount(4_096);

/** A long pre-token: its first `PIECE_SLICES` slices encoded, the rest at their tokens per byte. */
function countLongPiece(piece: string): number {
  let slices = 0;
  let bytes = 0;
  let tokens = 0;
  for (const slice of byteSlices(piece)) {
    if (slices++ === PIECE_SLICES) break;
    tokens += countSlice(slice);
    bytes += Buffer.byteLength(slice);
  }
  const total = Buffer.byteLength(piece);
  return bytes === total ? tokens : Math.round((tokens * total) / bytes);
}

/** Cuts a string into slices of at most `PIECE_BYTES` UTF-8 bytes, never inside a surrogate pair. */
function* byteSlices(s: string): Generator<string> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length;
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > PIECE_BYTES) {
      yield s.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += size;
    if (pair) i++;
  }
  if (start < s.length) yield s.slice(start);
}

/**
 * Tokens of a long text from `SAMPLE_WINDOWS` windows counted exactly, one in each equal slice
 * of the text at a pseudo-random offset (seeded by the length, so a text always gets the same
 * estimate, and periodic text does not line up with the windows). Windows start and end at
 * whitespace when there is some nearby, so they do not split words.
 */
export function estimateTokens(text: string): number {
  const stride = text.length / SAMPLE_WINDOWS;
  let seed = text.length >>> 0;
  let sampledChars = 0;
  let sampledTokens = 0;
  for (let w = 0; w < SAMPLE_WINDOWS; w++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const offset = (seed / 2 ** 32) * Math.max(0, stride - WINDOW_CHARS);
    const from = alignToSpace(text, Math.floor(w * stride + offset));
    const to = alignToSpace(text, Math.min(text.length, from + WINDOW_CHARS));
    if (to <= from) continue;
    sampledChars += to - from;
    sampledTokens += countPieces(text.slice(from, to));
  }
  if (sampledChars === 0) return Math.ceil(text.length / 4);
  return Math.max(1, Math.round((sampledTokens / sampledChars) * text.length));
}

/** The position of the next whitespace within a short distance of `i` (or `i` itself). */
function alignToSpace(text: string, i: number): number {
  const limit = Math.min(text.length, i + 64);
  for (let j = i; j < limit; j++) if (isSpace(text.charCodeAt(j))) return j;
  return i;
}

/** JavaScript's `\s`: ASCII whitespace, NBSP, the Unicode space separators, line/paragraph separators, BOM. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** Per-message framing overhead in the chat format (role markers and separators). */
const TOKENS_PER_MESSAGE = 3;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
const REPLY_PRIMING = 3;

/**
 * Tokens a chat request will take: message contents, tool calls and tool results, plus the
 * framing the chat format adds, plus the tool definitions (counted as their JSON).
 */
export function countMessages(messages: LlmMessage[], tools?: LlmToolDefinition[]): number {
  let total = REPLY_PRIMING;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + countTokens(message.role);
    switch (message.role) {
      case 'system':
        total += countTokens(message.content);
        break;
      case 'user':
        total += countTokens(message.content);
        if (message.name) total += countTokens(message.name) + 1;
        break;
      case 'assistant':
        total += countTokens(message.content ?? '');
        for (const call of message.toolCalls ?? []) {
          total += TOKENS_PER_MESSAGE + countTokens(call.name) + countTokens(call.arguments);
        }
        break;
      case 'tool':
        total += countTokens(message.content) + countTokens(message.name);
        break;
    }
  }
  if (tools && tools.length > 0) total += countTools(tools);
  return total;
}

/** Tokens the tool definitions add to a request. */
export function countTools(tools: LlmToolDefinition[]): number {
  let total = 0;
  for (const tool of tools) {
    total += TOKENS_PER_MESSAGE + countTokens(tool.name) + countTokens(tool.description);
    total += countTokens(JSON.stringify(tool.parameters));
  }
  return total;
}
