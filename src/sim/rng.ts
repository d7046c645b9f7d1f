/**
 * A small seeded PRNG: xoshiro128** (Blackman & Vigna), 32-bit state words so that every step is plain
 * int32 arithmetic in V8. Seeded through splitmix32 from (seed, stream), so every table of a simulation gets
 * its own independent, reproducible stream. No Math.random anywhere in the simulator.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** seed: any integer in [0, 2^53); stream: a small integer that separates independent streams */
  constructor(seed: number, stream = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER)
      throw new RangeError(`seed must be an integer in [0, 2^53) (got ${seed})`);
    let a = (seed >>> 0) ^ Math.imul(stream | 0, 0x632be5ab);
    let b = Math.floor(seed / 4294967296) >>> 0;
    // splitmix32 expands the 64 seed bits into four well-mixed state words
    const mix = (): number => {
      a = (a + 0x9e3779b9) | 0;
      let z = a ^ b;
      b = Math.imul(b ^ (b >>> 15), 0x2c1b3c6d) | 0;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
    // the all-zero state is the one fixed point of xoshiro
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** uniform 32-bit unsigned integer */
  nextU32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** uniform double in [0, 1) with 53 random bits */
  nextDouble(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * DOUBLE_UNIT;
  }

  /**
   * out[from..from+n) = the next n values of nextDouble(), in order: the same stream, but the state lives
   * in locals for the loop (about 3x faster than n calls). Samplers draw their uniforms through this in
   * chunks no larger than the number of uniforms they are sure to consume, so the stream they read is
   * exactly the sequence of nextDouble() calls and no generated value is thrown away.
   */
  fillDoubles(out: Float64Array, n: number, from = 0): void {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const end = from + n;
    for (let i = from; i < end; i++) {
      // two xoshiro128** steps, inlined: 27 high bits, then 26
      let m = Math.imul(s1, 5);
      const hi = Math.imul((m << 7) | (m >>> 25), 9) >>> 5;
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      m = Math.imul(s1, 5);
      const lo = Math.imul((m << 7) | (m >>> 25), 9) >>> 6;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = (hi * 67108864 + lo) * DOUBLE_UNIT;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** uniform integer in [0, n), n up to 2^53; relative bias at most n / 2^53 (floor of a 53-bit uniform) */
  nextIndex(n: number): number {
    return Math.floor(this.nextDouble() * n);
  }
}

/** 2^-53: multiplying by it is exact, the same as dividing by 2^53 */
const DOUBLE_UNIT = 1 / 9007199254740992;
