import { describe, expect, it } from 'vitest';
import { BitmapRankSet, MarkerSet, RankHashSet, rankSetFor, type RankSet } from '../../src/sim/distinct.js';
import { Rng } from '../../src/sim/rng.js';

describe('rank sets agree with a JS Set', () => {
  const cases: Array<[string, () => RankSet, number]> = [
    ['MarkerSet', () => new MarkerSet(1000), 1000],
    ['RankHashSet, small ranks', () => new RankHashSet(600), 1000],
    ['RankHashSet, ranks past 2^32', () => new RankHashSet(600), 3e12],
    // 400 distinct values over 1000 ranks: words fill up, so clear() takes both the listed-words and the fill path
    ['BitmapRankSet, all ranks in the bitmap', () => new BitmapRankSet(1000), 1000],
    // bitmap for ranks < 200, the hash tail for the rest
    ['BitmapRankSet, bitmap head and hash tail', () => new BitmapRankSet(200, 600), 1000],
    ['BitmapRankSet, hash tail past 2^32', () => new BitmapRankSet(64, 600), 3e12],
  ];
  for (const [name, make, N] of cases) {
    it(name, () => {
      const set = make();
      const rng = new Rng(5);
      for (let round = 0; round < 50; round++) {
        set.clear();
        const ref = new Set<number>();
        let agree = 0;
        const k = 1 + (round * 11) % 600;
        for (let i = 0; i < k; i++) {
          // few distinct values so repeats are frequent; ranks that agree mod 2^32 to stress the hash
          const x = Math.floor(rng.nextDouble() * Math.min(N, 400)) * (N > 1e6 ? 4294967296 : 1) + (N > 1e6 ? 7 : 0);
          const fresh = !ref.has(x);
          ref.add(x);
          if (set.add(x) === fresh) agree++;
        }
        expect(agree).toBe(k);
        expect(set.size).toBe(ref.size);
      }
    });
  }
  it('clear() forgets everything, across many epochs', () => {
    const set = new MarkerSet(10);
    for (let e = 0; e < 1000; e++) {
      set.clear();
      expect(set.add(3)).toBe(true);
      expect(set.add(3)).toBe(false);
    }
  });
  it('a hash set refuses more items than it was sized for instead of looping', () => {
    const set = new RankHashSet(3);
    for (const x of [1, 2, 3]) set.add(x);
    expect(() => set.add(4)).toThrow(/full/);
  });
  it('a hash set grows past its first table (4096 slots) and still agrees with a JS Set, across clears', () => {
    const set = new RankHashSet(20000);
    const rng = new Rng(8);
    for (const k of [30000, 100, 25000, 7]) {
      set.clear();
      const ref = new Set<number>();
      let agree = 0;
      for (let i = 0; i < k; i++) {
        const x = Math.floor(rng.nextDouble() * 19000) * 1e5;
        const fresh = !ref.has(x);
        ref.add(x);
        if (set.add(x) === fresh) agree++;
      }
      expect(agree).toBe(k);
      expect(set.size).toBe(ref.size);
    }
  });
  it('a bitmap set refuses ranks past its bitmap when it has no hash tail', () => {
    const set = new BitmapRankSet(100);
    expect(set.add(99)).toBe(true);
    expect(() => set.add(100)).toThrow(/past/);
  });
  it('rankSetFor: a bitmap over every rank for tables up to 2^28 rows, a bitmap head and hash tail past that', () => {
    const small = rankSetFor(1000, 10);
    expect(small).toBeInstanceOf(BitmapRankSet);
    expect(() => small.add(999)).not.toThrow();
    const huge = rankSetFor(1e10, 1000);
    expect(huge).toBeInstanceOf(BitmapRankSet);
    for (let i = 0; i < 1000; i++) expect(huge.add(1e10 - 1 - i * 1e6)).toBe(true);
    expect(huge.add(5)).toBe(true);
    expect(huge.size).toBe(1001);
  });
});
