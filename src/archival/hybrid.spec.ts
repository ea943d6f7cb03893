import { fuse, rrfScore, RRF_K } from './hybrid';

describe('reciprocal rank fusion', () => {
  it('scores 1/(k+rank) per leg and sums them', () => {
    expect(RRF_K).toBe(60);
    expect(rrfScore(1, 1)).toBeCloseTo(2 / 61, 15);
    expect(rrfScore(3, null)).toBe(1 / 63);
    expect(rrfScore(null, 2)).toBe(1 / 62);
  });

  it('orders by score, then best single rank, then id; drops rows in neither leg', () => {
    const out = fuse(
      [
        { id: 'c', vectorRank: null, ftsRank: 1 },
        { id: 'b', vectorRank: 1, ftsRank: null },
        { id: 'a', vectorRank: 2, ftsRank: 3 },
        { id: 'z', vectorRank: null, ftsRank: null },
      ],
      10,
    );
    expect(out.map((h) => h.item.id)).toEqual(['a', 'b', 'c']);
    expect(out[0].rrfScore).toBe(1 / 62 + 1 / 63);
    expect(out[1]).toMatchObject({ vectorRank: 1, ftsRank: null, rrfScore: 1 / 61 });
  });
});
