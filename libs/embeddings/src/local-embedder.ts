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
  const wordCounts = new FeatureCounts();
  const pairCounts = new FeatureCounts();
  const gramCounts = new FeatureCounts();
  let previous: number | undefined;
  let words = 0;
  for (const piece of pieces(text)) {
    for (const word of tokenize(piece)) {
      const h = hashString(word, SEED.word);
      wordCounts.add(h);
      if (previous !== undefined) {
        const pair = fmix(Math.imul(previous, 31) ^ h ^ SEED.pair);
        pairCounts.add(pair);
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
function* charGrams(word: string, counts: FeatureCounts): Generator<void> {
  const s = `<${word}>`;
  for (let start = 0; start + MIN_GRAM <= s.length; start++) {
    let h = (0x811c9dc5 ^ SEED.chars) >>> 0;
    const end = Math.min(s.length, start + MAX_GRAM);
    for (let i = start; i < end; i++) {
      h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
      if (i - start + 1 >= MIN_GRAM) {
        const f = fmix(h ^ (i - start + 1));
        counts.add(f);
      }
    }
    if (start % 256 === 255) yield;
  }
}

/** Adds one group of features, damped (1 + ln tf) and scaled so the group's norm is `weight`. */
function addGroup(out: Float64Array, counts: FeatureCounts, weight: number): void {
  let sq = 0;
  for (let k = 0; k < counts.size; k++) {
    const w = 1 + Math.log(counts.countAt(k));
    sq += w * w;
  }
  const scale = weight / Math.sqrt(sq);
  for (let k = 0; k < counts.size; k++)
    addFeature(out, counts.keyAt(k), (1 + Math.log(counts.countAt(k))) * scale);
}

/**
 * How many times each feature (a 32-bit hash) occurred, listed in the order features first
 * occurred, as a `Map<number, number>` would list them (the vector's floating-point sums run in
 * that order, so it decides the last bits). An open-addressing table in typed arrays: most
 * hashes are above 2^30, which a Map keeps as boxed numbers, one allocation per lookup, and
 * that was most of the embedder's time.
 */
export class FeatureCounts {
  private keys = new Uint32Array(256);
  /** 0: an empty slot. */
  private counts = new Uint32Array(256);
  /** The slot of each feature, in order of first occurrence. */
  private order = new Uint32Array(128);
  size = 0;

  add(h: number): void {
    const mask = this.keys.length - 1;
    // The hashes are finalised (fmix), so their low bits are already well spread.
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const c = this.counts[i];
      if (c === 0) {
        this.keys[i] = h;
        this.counts[i] = 1;
        this.order[this.size++] = i;
        if (this.size === this.order.length) this.grow();
        return;
      }
      if (this.keys[i] === h) {
        this.counts[i] = c + 1;
        return;
      }
    }
  }

  /** The `k`-th feature to occur, and its count. */
  keyAt(k: number): number {
    return this.keys[this.order[k]];
  }
  countAt(k: number): number {
    return this.counts[this.order[k]];
  }

  /** Twice the slots (kept at most half full), the features re-placed in their order. */
  private grow(): void {
    const { keys, counts, order, size } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.counts = new Uint32Array(keys.length * 2);
    this.order = new Uint32Array(order.length * 2);
    const mask = this.keys.length - 1;
    for (let k = 0; k < size; k++) {
      const h = keys[order[k]];
      let i = h & mask;
      while (this.counts[i] !== 0) i = (i + 1) & mask;
      this.keys[i] = h;
      this.counts[i] = counts[order[k]];
      this.order[k] = i;
    }
  }
}

function addFeature(out: Float64Array, h: number, value: number): void {
  out[(h & 0x7fffffff) % out.length] += h >>> 31 ? -value : value;
}
