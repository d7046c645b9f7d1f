import { describe, expect, it } from 'vitest';
import { MarkerSet, RankHashSet, rankSetFor, type RankSet } from '../../src/sim/distinct.js';
import { Rng } from '../../src/sim/rng.js';

describe('rank sets agree with a JS Set', () => {
  const cases: Array<[string, () => RankSet, number]> = [
    ['MarkerSet', () => new MarkerSet(1000), 1000],
    ['RankHashSet, small ranks', () => new RankHashSet(600), 1000],
    ['RankHashSet, ranks past 2^32', () => new RankHashSet(600), 3e12],
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
  it('rankSetFor: a marker array for small tables, a hash set for huge ones', () => {
    expect(rankSetFor(1000, 10)).toBeInstanceOf(MarkerSet);
    expect(rankSetFor(1e10, 1000)).toBeInstanceOf(RankHashSet);
  });
});
