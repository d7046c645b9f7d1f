/**
 * HyperLogLog distinct-count estimate (Flajolet, Fusy, Gandouet, Meunier 2007) over 32-bit hashes, with the
 * linear-counting small-range correction. Relative standard error about 1.04 / sqrt(2^precision)
 * (proofs/heavy-hitters.md, section 3). Used only by counters that ran out of memory budget.
 */

/** murmur3's 32-bit finaliser: a bijection of uint32, so distinct 32-bit keys never collide. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HyperLogLog {
  readonly precision: number;
  readonly registers: Uint8Array;
  private readonly shift: number;

  constructor(precision = 14) {
    if (!Number.isInteger(precision) || precision < 4 || precision > 18) throw new RangeError(`HyperLogLog precision ${precision} is outside 4..18`);
    this.precision = precision;
    this.registers = new Uint8Array(1 << precision);
    this.shift = 32 - precision;
  }

  /** Add a key given as (lo, hi) 32-bit halves. */
  add(lo: number, hi: number): void {
    const h = fmix32((lo ^ (hi === 0 ? 0 : fmix32(hi ^ 0x9e3779b9))) >>> 0);
    const j = h >>> this.shift;
    // rank = position of the first 1 bit in the remaining (32 - p) bits, 1-based; all zeros gives 32 - p + 1
    const rest = (h << this.precision) >>> 0;
    const rank = rest === 0 ? this.shift + 1 : Math.clz32(rest) + 1;
    if (rank > this.registers[j]!) this.registers[j] = rank;
  }

  /** Relative standard error of the estimate, 1.04 / sqrt(m). */
  get relativeStandardError(): number {
    return 1.04 / Math.sqrt(this.registers.length);
  }

  estimate(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < m; j++) {
      const r = this.registers[j]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = m >= 128 ? 0.7213 / (1 + 1.079 / m) : m === 64 ? 0.709 : m === 32 ? 0.697 : 0.673;
    const raw = (alpha * m * m) / sum;
    if (raw <= 2.5 * m && zeros > 0) return m * Math.log(m / zeros); // linear counting
    const two32 = 2 ** 32;
    if (raw > two32 / 30) return -two32 * Math.log1p(-Math.min(raw / two32, 1 - 1e-12));
    return raw;
  }
}
