import { EmbeddingClient } from './types';

export const LOCAL_EMBEDDING_MODEL = 'hash-embedding-v1';
export const LOCAL_EMBEDDING_HANDLE = `local/${LOCAL_EMBEDDING_MODEL}`;
export const LOCAL_EMBEDDING_DIM = 384;

/**
 * Share of the vector's energy given to each kind of feature: whole words carry the topic,
 * word pairs a little word order, and character n-grams catch inflections and compounds
 * ("running" ~ "runs", "embedding" ~ "embeddings") and survive typos.
 */
const GROUP_WEIGHT = { word: Math.sqrt(0.5), pair: Math.sqrt(0.15), chars: Math.sqrt(0.35) };
const SEED = { word: 0x9e3779b1, pair: 0x85ebca6b, chars: 0xc2b2ae35, empty: 0x27d4eb2f };
const MIN_GRAM = 3;
const MAX_GRAM = 5;

/**
 * The offline default embedder: feature hashing, no model, no network, deterministic across
 * machines and releases of this handle.
 *
 * What it is: each text becomes a bag of lowercased, accent-folded word unigrams, adjacent
 * word bigrams, and character 3-5-grams of each word (with `<` `>` marking its edges). Each
 * feature is hashed (FNV-1a with a murmur3 finaliser) to one of 384 dimensions with a hashed
 * sign (the "hashing trick", so collisions cancel out on average instead of piling up), its
 * count is damped to 1 + ln(tf), each group is scaled to a fixed share of the total, and the
 * result is L2-normalised, so cosine similarity is a dot product.
 *
 * What it is not: a semantic model. Two texts come out close when they share words, stems or
 * spelling fragments; synonyms with no letters in common ("car" / "automobile"), paraphrases
 * and other languages are not recognised. It keeps archival search and recall working with
 * no provider configured; set an OpenAI-compatible embedding model for meaning-level search.
 * Texts with no letters or digits all map to the same fixed unit vector.
 */
export class LocalEmbedder implements EmbeddingClient {
  readonly handle = LOCAL_EMBEDDING_HANDLE;
  readonly dimensions = LOCAL_EMBEDDING_DIM;

  /**
   * Embeds on the event loop in slices of at most `SLICE_MS`, giving it back in between, so a
   * long text (a 1 MB message takes a few hundred ms) never holds other requests up.
   */
  async embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    let sliceStart = performance.now();
    for (const text of texts) {
      const work = vectorOf(text, this.dimensions);
      for (let step = work.next(); ; step = work.next()) {
        if (step.done) {
          out.push(step.value);
          break;
        }
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
    }
    return out;
  }

  /** Synchronous form of `embed` for a single text (same vector; does not yield). */
  embedOne(text: string): number[] {
    const work = vectorOf(text, this.dimensions);
    for (let step = work.next(); ; step = work.next()) if (step.done) return step.value;
  }
}

/** Longest piece of work between two chances to yield. */
const SLICE_MS = 8;
/** Texts are tokenized in pieces of about this many characters, cut before an ASCII space. */
const CHUNK_CHARS = 16_384;
/** Words between yield points (a long word also yields inside its character n-grams). */
const YIELD_EVERY = 256;

/**
 * The vector of one text, as a generator that yields now and then so callers can pause it.
 * Tokenizing piece by piece gives the same words as tokenizing the whole text (pieces end
 * before a space, which NFKD, lowercasing and the word split all treat as a boundary), and
 * features are counted in the same order, so the vector is the same to the last bit.
 */
function* vectorOf(text: string, dimensions: number): Generator<void, number[]> {
  const wordCounts = new Map<number, number>();
  const pairCounts = new Map<number, number>();
  const gramCounts = new Map<number, number>();
  let previous: number | undefined;
  let words = 0;
  for (const piece of pieces(text)) {
    for (const word of tokenize(piece)) {
      const h = hashString(word, SEED.word);
      wordCounts.set(h, (wordCounts.get(h) ?? 0) + 1);
      if (previous !== undefined) {
        const pair = fmix(Math.imul(previous, 31) ^ h ^ SEED.pair);
        pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + 1);
      }
      previous = h;
      yield* charGrams(word, gramCounts);
      if (++words % YIELD_EVERY === 0) yield;
    }
    yield;
  }
  const out = new Float64Array(dimensions);
  if (wordCounts.size === 0) {
    addFeature(out, fmix(SEED.empty), 1);
  } else {
    addGroup(out, wordCounts, GROUP_WEIGHT.word);
    if (pairCounts.size > 0) addGroup(out, pairCounts, GROUP_WEIGHT.pair);
    addGroup(out, gramCounts, GROUP_WEIGHT.chars);
  }
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += out[i] * out[i];
  norm = Math.sqrt(norm) || 1;
  return Array.from(out, (v) => v / norm);
}

/** `text` in pieces of about `CHUNK_CHARS`, each cut just before an ASCII space when there is one. */
function* pieces(text: string): Generator<string> {
  let start = 0;
  while (text.length - start > CHUNK_CHARS) {
    const cut = text.indexOf(' ', start + CHUNK_CHARS);
    if (cut < 0) break;
    yield text.slice(start, cut);
    start = cut;
  }
  yield text.slice(start);
}

/** Lowercase, fold accents (é → e), split on anything that is not a letter or a digit. */
function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

const FNV_PRIME = 0x01000193;

function hashString(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return fmix(h);
}

/** murmur3's 32-bit finaliser: spreads FNV's weak low bits before we take a modulo. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Character n-grams of `<word>`, hashed as they are scanned (no substrings are built) and
 * counted into `counts`; yields every so often (a single huge word is a lot of grams).
 */
function* charGrams(word: string, counts: Map<number, number>): Generator<void> {
  const s = `<${word}>`;
  for (let start = 0; start + MIN_GRAM <= s.length; start++) {
    let h = (0x811c9dc5 ^ SEED.chars) >>> 0;
    const end = Math.min(s.length, start + MAX_GRAM);
    for (let i = start; i < end; i++) {
      h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
      if (i - start + 1 >= MIN_GRAM) {
        const f = fmix(h ^ (i - start + 1));
        counts.set(f, (counts.get(f) ?? 0) + 1);
      }
    }
    if (start % 256 === 255) yield;
  }
}

/** Adds one group of features, damped (1 + ln tf) and scaled so the group's norm is `weight`. */
function addGroup(out: Float64Array, counts: Map<number, number>, weight: number): void {
  let sq = 0;
  for (const tf of counts.values()) {
    const w = 1 + Math.log(tf);
    sq += w * w;
  }
  const scale = weight / Math.sqrt(sq);
  for (const [h, tf] of counts) addFeature(out, h, (1 + Math.log(tf)) * scale);
}

function addFeature(out: Float64Array, h: number, value: number): void {
  out[(h & 0x7fffffff) % out.length] += h >>> 31 ? -value : value;
}
