import { describe, expect, it } from 'vitest';
import { checkDedup, dedupReference, dedupRows, dedupScratch, gatherRows, makeTable, sameFloats, updateRows } from '../../src/calibrate/kernels.js';
import { sampleIndices, seededRandom, zipfCdf } from '../../src/calibrate/rng.js';

describe('cpu reference kernels', () => {
  it('gather copies exactly the indexed rows (short rows and long rows paths)', () => {
    for (const dim of [3, 16, 64, 256]) {
      const rows = 50;
      const table = makeTable(rows, dim);
      const idx = sampleIndices(rows, 200, { kind: 'uniform' }, dim);
      const out = gatherRows(table, dim, idx);
      for (let j = 0; j < idx.length; j++)
        for (let k = 0; k < dim; k++) expect(out[j * dim + k]).toBe(table[idx[j]! * dim + k]);
    }
  });

  it('makeTable values are all distinct and finite, so a wrong row is always caught', () => {
    const t = makeTable(1000, 8);
    expect(new Set(t).size).toBe(t.length);
    expect(t.every(Number.isFinite)).toBe(true);
    const idx = Uint32Array.from([1, 2, 3]);
    const wrong = Uint32Array.from([1, 2, 4]);
    expect(sameFloats(gatherRows(t, 8, idx), gatherRows(t, 8, wrong))).toBe(false);
  });

  it('dedup equals a Set-based reference, and scratch reuse across batches stays exact', () => {
    const rows = 500;
    const scratch = dedupScratch(rows);
    for (let seed = 0; seed < 20; seed++) {
      const idx = sampleIndices(rows, 1 + seed * 37, seed % 2 ? { kind: 'zipf', alpha: 1.2 } : { kind: 'uniform' }, seed);
      const unique = new Uint32Array(idx.length);
      const inverse = new Uint32Array(idx.length);
      const n = dedupRows(idx, scratch, unique, inverse);
      expect([...unique.subarray(0, n)]).toEqual([...new Set(idx)]); // first-occurrence order
      expect(checkDedup(idx, unique.subarray(0, n), inverse)).toBe(true);
    }
  });

  it('checkDedup rejects duplicates, a wrong inverse and missing ids', () => {
    const idx = Uint32Array.from([5, 7, 5, 9]);
    const { unique, inverse } = dedupReference(idx, 10);
    expect(checkDedup(idx, unique, inverse)).toBe(true);
    expect(checkDedup(idx, Uint32Array.from([5, 7, 9, 9]), Uint32Array.from([0, 1, 0, 2]))).toBe(false);
    expect(checkDedup(idx, unique, Uint32Array.from([0, 1, 1, 2]))).toBe(false);
    expect(checkDedup(idx, Uint32Array.from([5, 7]), Uint32Array.from([0, 1, 0, 1]))).toBe(false);
  });

  it('the Zipf sampler matches its probabilities (chi-square, fixed seed)', () => {
    const n = 20;
    const alpha = 1.1;
    const draws = 200_000;
    const cdf = zipfCdf(n, alpha);
    const rand = seededRandom(5);
    void rand;
    const idx = sampleIndices(n, draws, { kind: 'zipf', alpha }, 9);
    // sampleIndices scatters ranks by a permutation: compare sorted frequencies with sorted probabilities
    const counts = new Array<number>(n).fill(0);
    for (const i of idx) counts[i]!++;
    const probs = Array.from(cdf, (c, i) => c - (i ? cdf[i - 1]! : 0)).sort((a, b) => b - a);
    const freq = [...counts].sort((a, b) => b - a);
    let chi2 = 0;
    for (let i = 0; i < n; i++) chi2 += (freq[i]! - draws * probs[i]!) ** 2 / (draws * probs[i]!);
    // 19 degrees of freedom: the 99.9% quantile is 43.8 (sorting makes the statistic smaller, not larger)
    expect(chi2).toBeLessThan(43.8);
  });

  it('updateRows subtracts lr * grad from each listed row, once per occurrence, and leaves other rows alone', () => {
    const dim = 3;
    const table = new Float32Array(5 * dim).map((_, i) => i);
    const slots = new Uint32Array([4, 1, 4, 0, 9]); // the last is past `count` and must be ignored
    const grad = new Float32Array(5 * dim).map((_, i) => i + 1);
    updateRows(table, dim, slots, 4, grad, 0.5);
    const want = Array.from({ length: 5 * dim }, (_, i) => i);
    [4, 1, 4, 0].forEach((row, j) => {
      for (let k = 0; k < dim; k++) want[row * dim + k]! -= 0.5 * (j * dim + k + 1);
    });
    expect(Array.from(table)).toEqual(want);
  });
});
