import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';
import { chiSquare } from './helpers.js';

describe('Rng (xoshiro128**)', () => {
  it('matches the reference xoshiro128** recurrence from a given state', () => {
    // the reference algorithm on plain uint32 state (Blackman & Vigna), written independently here
    const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
    const rng = new Rng(12345);
    const st = rng as unknown as { s0: number; s1: number; s2: number; s3: number };
    const s = [st.s0 >>> 0, st.s1 >>> 0, st.s2 >>> 0, st.s3 >>> 0];
    for (let i = 0; i < 1000; i++) {
      const want = Number((BigInt(rotl(Number((BigInt(s[1]!) * 5n) & 0xffffffffn), 7)) * 9n) & 0xffffffffn);
      const t = (s[1]! << 9) >>> 0;
      s[2] = (s[2]! ^ s[0]!) >>> 0;
      s[3] = (s[3]! ^ s[1]!) >>> 0;
      s[1] = (s[1]! ^ s[2]!) >>> 0;
      s[0] = (s[0]! ^ s[3]!) >>> 0;
      s[2] = (s[2]! ^ t) >>> 0;
      s[3] = rotl(s[3]!, 11);
      expect(rng.nextU32()).toBe(want);
    }
  });
  it('is reproducible per (seed, stream) and differs across them', () => {
    const draw = (seed: number, stream: number) => {
      const r = new Rng(seed, stream);
      return Array.from({ length: 8 }, () => r.nextU32());
    };
    expect(draw(42, 0)).toEqual(draw(42, 0));
    expect(draw(42, 0)).not.toEqual(draw(43, 0));
    expect(draw(42, 0)).not.toEqual(draw(42, 1));
    // seeds that differ only above bit 32 give different streams
    expect(draw(2 ** 40, 0)).not.toEqual(draw(0, 0));
  });
  it('fillDoubles gives exactly the stream of nextDouble calls, across chunks and offsets', () => {
    const a = new Rng(99, 3);
    const b = new Rng(99, 3);
    const out = new Float64Array(2000);
    b.fillDoubles(out, 1);
    b.fillDoubles(out, 999, 1);
    b.fillDoubles(out, 0, 1000);
    b.fillDoubles(out, 1000, 1000);
    for (let i = 0; i < 2000; i++) expect(out[i]).toBe(a.nextDouble());
    expect(b.nextU32()).toBe(a.nextU32());
  });
  it('rejects seeds that are not integers in [0, 2^53)', () => {
    expect(() => new Rng(-1)).toThrow(/seed/);
    expect(() => new Rng(1.5)).toThrow(/seed/);
  });
  it('nextDouble is uniform on [0, 1): 256 equal bins pass chi-square; mean within 4 se of 1/2', () => {
    const r = new Rng(7);
    const n = 1 << 20;
    const bins = new Float64Array(256);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = r.nextDouble();
      if (!(u >= 0 && u < 1)) outside++;
      bins[Math.floor(u * 256)]!++;
      sum += u;
    }
    expect(outside).toBe(0);
    const { stat, critical } = chiSquare(bins, new Float64Array(256).fill(1 / 256), n);
    expect(stat).toBeLessThan(critical);
    const se = Math.sqrt(1 / 12 / n);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(4 * se);
  });
});
