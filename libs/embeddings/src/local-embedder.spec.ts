import { createHash } from 'node:crypto';
import { FeatureCounts, LOCAL_EMBEDDING_DIM, LocalEmbedder } from './local-embedder';

const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const norm = (a: number[]) => Math.sqrt(cosine(a, a));

describe('LocalEmbedder', () => {
  const embedder = new LocalEmbedder();

  it('is deterministic, has the advertised size and unit norm', async () => {
    const texts = ['The user prefers dark mode.', 'Héllo, Wörld!', 'a', '   ', '42'];
    const [first, second] = await Promise.all([embedder.embed(texts), new LocalEmbedder().embed(texts)]);
    expect(first).toEqual(second);
    for (const v of first) {
      expect(v).toHaveLength(LOCAL_EMBEDDING_DIM);
      expect(norm(v)).toBeCloseTo(1, 10);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(embedder.dimensions).toBe(LOCAL_EMBEDDING_DIM);
  });

  it('ignores case, accents and punctuation', () => {
    expect(cosine(embedder.embedOne('Café RÉSUMÉ!'), embedder.embedOne('cafe resume'))).toBeCloseTo(1, 10);
  });

  it('puts texts that share words or word forms closer than unrelated ones', () => {
    const e = (t: string) => embedder.embedOne(t);
    const query = e('my dog loves running in the park');
    const sameWords = e('the dog runs in the park every morning');
    const unrelated = e('quarterly tax filing deadline for invoices');
    expect(cosine(query, sameWords)).toBeGreaterThan(cosine(query, unrelated) + 0.2);

    // Morphology only: no word in common, shared stems.
    const inflected = cosine(e('embedding passages'), e('embeddings of a passage'));
    const other = cosine(e('embedding passages'), e('weather forecast tomorrow'));
    expect(inflected).toBeGreaterThan(other + 0.2);

    // A typo still lands near the right word.
    expect(cosine(e('archival memory'), e('archivall memroy'))).toBeGreaterThan(
      cosine(e('archival memory'), e('core blocks')),
    );
  });

  it('word order matters a little (bigrams), but not much', () => {
    const a = embedder.embedOne('alice called bob');
    const b = embedder.embedOne('bob called alice');
    expect(cosine(a, b)).toBeLessThan(0.999);
    expect(cosine(a, b)).toBeGreaterThan(0.7);
  });

  it('embeds a large batch: one unit vector per text, in input order', async () => {
    // Throughput is a benchmark figure (bench/archival prints the insert rate), not a test.
    const texts = Array.from(
      { length: 2000 },
      (_, i) =>
        `Message ${i}: the agent stored a note about project Engram, archival memory and recall search.`,
    );
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toHaveLength(LOCAL_EMBEDDING_DIM);
      expect(norm(v)).toBeCloseTo(1, 10);
    }
    const [single] = await embedder.embed([texts[1234]]);
    expect(vectors[1234]).toEqual(single);
  });

  it('embeds long texts in slices: same vector as embedOne, the event loop never held for long', async () => {
    const long = 'ΟΔΥΣΣΕΥΣ the résumé of a café, '.repeat(8_000) + 'x'.repeat(300_000);
    const longestGap = async (work: () => Promise<unknown>) => {
      let last = performance.now();
      let gap = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
      }, 1);
      await work();
      clearInterval(timer);
      return gap;
    };
    // The machine's own noise (a loaded CI box delays timers too), measured first.
    const idle = await longestGap(() => new Promise((r) => setTimeout(r, 300)));
    const t0 = performance.now();
    const whole = embedder.embedOne(long);
    const wholeMs = performance.now() - t0;
    // One slice is 8 ms of work; embedding the whole text at once (as before) holds the loop
    // for `wholeMs`, well over 100 ms. Embedding in slices blocks every attempt for no more than
    // a slice, so the best of five attempts must be short even when the machine is loaded.
    const gaps: number[] = [];
    while (gaps.length < 5) {
      let vector: number[] = [];
      gaps.push(await longestGap(async () => ([vector] = await embedder.embed([long]))));
      expect(vector).toEqual(whole);
      if (Math.min(...gaps) < Math.min(100, wholeMs) + idle) break;
    }
    expect(Math.min(...gaps)).toBeLessThan(100 + idle);
    expect(Math.min(...gaps)).toBeLessThan(wholeMs + idle);
  });

  it('gives the same vectors to the last bit as every release of this handle (stored passages stay comparable)', async () => {
    // SHA-256 of each vector's float64 bytes, as the Map-based counting computed them.
    const texts = [
      'The user prefers dark mode.',
      'Héllo, Wörld! Café RÉSUMÉ, ΟΔΥΣΣΕΥΣ and 記憶 42',
      '   ',
      `## 3. Boiler pressure\n\n- The valve must be checked weekly.\nreading_0 = gauge.read(12, threshold=3.50)\n`.repeat(
        40,
      ),
      'x'.repeat(700) + ' tail ' + 'y'.repeat(300),
    ];
    const digest = (v: number[]) =>
      createHash('sha256')
        .update(Buffer.from(new Float64Array(v).buffer))
        .digest('hex');
    expect((await embedder.embed(texts)).map(digest)).toEqual([
      '2e93393fc27322a7d2a5dae9caf8be246b8fdab6f7167dc6a1c5bc0f726a7165',
      '8d80a1305922ad437097ae5470b1d3222a5270a22e30917511d0397dafef2dff',
      '21fbeb008fee3754ef8d30498afc0358d40c00f1c1224ccf7415d2a1c068eb90',
      '4388fe2e85b16304e587747c2f3a8c631897f869a7fa0ac294ca224b4aea28c4',
      '537f455c462ef57ec922ba07554ed4c7bfef2237118fcaef7029dbf38e8cfdd0',
    ]);
  });
});

describe('FeatureCounts', () => {
  it('counts like a Map and lists features in first-occurrence order, across growth', () => {
    const counts = new FeatureCounts();
    const map = new Map<number, number>();
    let h = 12345;
    for (let i = 0; i < 50_000; i++) {
      // Values over the whole uint32 range, with repeats (and colliding low bits).
      h = (Math.imul(h, 1103515245) + 12345) >>> 0;
      const key = i % 3 === 0 ? (h & 0xff) * 0x1000000 : h % 20_000 === 7 ? 0xffffffff : h >>> (i % 7);
      counts.add(key);
      map.set(key, (map.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(map.size);
    const listed = Array.from({ length: counts.size }, (_, k) => [counts.keyAt(k), counts.countAt(k)]);
    expect(listed).toEqual([...map]);
  });
});
