import { describe, expect, it } from 'vitest';
import { KeyCounter, kthLargest } from '../../src/data/counter.js';
import { HyperLogLog, fmix32 } from '../../src/data/hyperloglog.js';
import { Rng } from '../../src/sim/rng.js';

/** Seeded uniform doubles in [0, 1) from the simulator's generator (one PRNG in the project). */
function mulberry32(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.nextDouble();
}

/** A Zipf(alpha)-like stream over `n` keys (inverse CDF on a table), keys scrambled to uint32. */
function zipfStream(length: number, n: number, alpha: number, seed: number): Uint32Array {
  const cdf = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) cdf[i] = s += (i + 1) ** -alpha;
  const rand = mulberry32(seed);
  const out = new Uint32Array(length);
  for (let j = 0; j < length; j++) {
    const u = rand() * s;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[j] = fmix32(lo ^ 0x5bd1e995);
  }
  return out;
}

describe('KeyCounter (exact)', () => {
  it('agrees with a Map on a skewed stream through many doublings', () => {
    const stream = zipfStream(200_000, 50_000, 0.9, 1);
    const c = new KeyCounter({ initialBits: 4 });
    const ref = new Map<number, number>();
    for (const k of stream) {
      c.add32(k);
      ref.set(k, (ref.get(k) ?? 0) + 1);
    }
    expect(c.size).toBe(ref.size);
    expect(c.distinct()).toBe(ref.size);
    expect(c.accesses).toBe(stream.length);
    expect(c.approximate).toBe(false);
    for (const [k, v] of ref) expect(c.get(k)).toBe(v);
    expect(c.get(fmix32(123456789))).toBe(ref.get(fmix32(123456789)) ?? 0);
  });

  it('keeps key 0 and 0xffffffff apart from empty slots', () => {
    const c = new KeyCounter();
    for (const k of [0, 0, 0xffffffff, 0, 1]) c.add32(k);
    expect([c.get(0), c.get(0xffffffff), c.get(1), c.get(2)]).toEqual([3, 1, 1, 0]);
  });

  it('wide keys: (lo, hi) pairs that share lo are distinct', () => {
    const c = new KeyCounter({ wide: true, initialBits: 4 });
    const ref = new Map<string, number>();
    const rand = mulberry32(7);
    for (let i = 0; i < 20_000; i++) {
      const lo = Math.floor(rand() * 50);
      const hi = Math.floor(rand() * 50);
      c.add64(lo, hi);
      ref.set(`${lo},${hi}`, (ref.get(`${lo},${hi}`) ?? 0) + 1);
    }
    expect(c.size).toBe(ref.size);
    for (const [k, v] of ref) {
      const [lo, hi] = k.split(',').map(Number);
      expect(c.get(lo!, hi!)).toBe(v);
    }
  });
});

describe('kthLargest', () => {
  it('equals sorting, with many ties', () => {
    const rand = mulberry32(3);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 40);
      const a = Float64Array.from({ length: n }, () => Math.floor(rand() * 6));
      const sorted = Array.from(a).sort((x, y) => y - x);
      const k = Math.floor(rand() * n);
      expect(kthLargest(a.slice(), k)).toBe(sorted[k]);
    }
  });
});

describe('KeyCounter as a Misra-Gries summary (proofs/heavy-hitters.md)', () => {
  for (const [alpha, maxKeys] of [
    [1.1, 64],
    [0.8, 256],
    [0.5, 100],
  ] as const) {
    it(`alpha ${alpha}, ${maxKeys} counters: kept <= true <= kept + bound, bound <= (n - sum kept)/(k+1)`, () => {
      const stream = zipfStream(100_000, 20_000, alpha, 11);
      const c = new KeyCounter({ maxKeys });
      const ref = new Map<number, number>();
      for (const k of stream) {
        c.add32(k);
        ref.set(k, (ref.get(k) ?? 0) + 1);
      }
      const n = stream.length;
      const k = Math.floor(maxKeys / 2);
      expect(c.approximate).toBe(true);
      expect(c.accesses).toBe(n);
      expect(c.size).toBeLessThanOrEqual(maxKeys);
      let kept = 0;
      const { counts } = c.slots();
      for (let i = 0; i < counts.length; i++) kept += counts[i]!;
      expect(c.errorBound).toBeGreaterThan(0);
      expect(c.errorBound).toBeLessThanOrEqual((n - kept) / (k + 1));
      for (const [key, f] of ref) {
        const est = c.get(key);
        expect(est).toBeLessThanOrEqual(f);
        expect(f).toBeLessThanOrEqual(est + c.errorBound);
        if (f > c.errorBound) expect(est).toBeGreaterThan(0);
      }
      // the distinct estimate of the sketch: within 4 standard errors of the truth
      const rse = c.hll!.relativeStandardError;
      expect(Math.abs(c.distinct() / ref.size - 1)).toBeLessThan(4 * rse);
    });
  }

  it('caps itself when the shared memory budget refuses a doubling; small tables stay exact', () => {
    const budget = { remainingBytes: 200_000 };
    const big = new KeyCounter({ budget, initialBits: 4 });
    const small = new KeyCounter({ budget, initialBits: 4 });
    const stream = zipfStream(100_000, 60_000, 0.9, 5);
    for (let i = 0; i < stream.length; i++) {
      big.add32(stream[i]!);
      small.add32(i % 10);
    }
    expect(big.approximate).toBe(true);
    expect(small.approximate).toBe(false);
    expect(small.size).toBe(10);
    expect(big.memoryBytes + small.memoryBytes - big.hll!.registers.length).toBeLessThanOrEqual(200_000);
  });
});

describe('HyperLogLog', () => {
  it('small sets are counted almost exactly (linear counting)', () => {
    const h = new HyperLogLog(14);
    for (let i = 0; i < 1000; i++) h.add(i, 0);
    expect(Math.abs(h.estimate() - 1000)).toBeLessThan(10);
  });

  for (const n of [30_000, 300_000, 2_000_000]) {
    it(`${n} distinct keys (each added twice) within 4 standard errors`, () => {
      const h = new HyperLogLog(12);
      for (let r = 0; r < 2; r++) for (let i = 0; i < n; i++) h.add(i * 2654435761, i % 3);
      expect(Math.abs(h.estimate() / n - 1)).toBeLessThan(4 * h.relativeStandardError);
    });
  }
});
