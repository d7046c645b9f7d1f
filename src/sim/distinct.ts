/**
 * Sets of ranks for coalescing, cleared in O(1) by an epoch stamp (no JS Set: the simulator inserts
 * tens of millions of ranks per second). Two forms with one interface:
 *  - MarkerSet: a stamp per row, for tables small enough to index directly;
 *  - RankHashSet: open addressing with linear probing over Float64 keys (ranks up to 2^53), sized for a
 *    known maximum number of distinct items per batch.
 * `add` returns true the first time a rank is seen since the last `clear`.
 */
export interface RankSet {
  readonly size: number;
  add(rank: number): boolean;
  clear(): void;
}

export class MarkerSet implements RankSet {
  private readonly stamp: Int32Array;
  private epoch = 1;
  size = 0;
  constructor(rows: number) {
    this.stamp = new Int32Array(rows);
  }
  add(rank: number): boolean {
    if (this.stamp[rank] === this.epoch) return false;
    this.stamp[rank] = this.epoch;
    this.size++;
    return true;
  }
  clear(): void {
    this.size = 0;
    if (++this.epoch === 0x7fffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
  }
}

/** Multiplicative hash of an integer-valued double < 2^53 to `bits` bits. */
export function hashRank(rank: number, shift: number): number {
  const lo = rank >>> 0;
  const hi = (rank / 4294967296) >>> 0;
  return Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> shift;
}

export class RankHashSet implements RankSet {
  private readonly keys: Float64Array;
  private readonly stamp: Int32Array;
  private readonly mask: number;
  private readonly shift: number;
  private readonly maxItems: number;
  private epoch = 1;
  size = 0;
  /** room for `maxItems` distinct ranks at load factor <= 1/2 */
  constructor(maxItems: number) {
    let bits = 1;
    while (1 << bits < 2 * Math.max(1, maxItems)) bits++;
    if (bits > 30) throw new RangeError(`hash set for ${maxItems} items is too large`);
    this.keys = new Float64Array(1 << bits);
    this.stamp = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    this.maxItems = Math.max(1, maxItems);
  }
  add(rank: number): boolean {
    const keys = this.keys;
    const stamp = this.stamp;
    const epoch = this.epoch;
    let h = hashRank(rank, this.shift);
    while (stamp[h] === epoch) {
      if (keys[h] === rank) return false;
      h = (h + 1) & this.mask;
    }
    if (this.size >= this.maxItems) throw new RangeError(`hash set full (${this.maxItems} items)`);
    stamp[h] = epoch;
    keys[h] = rank;
    this.size++;
    return true;
  }
  clear(): void {
    this.size = 0;
    if (++this.epoch === 0x7fffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
  }
}

/**
 * The faster set for a table of `rows` rows and at most `maxItems` distinct ranks per clear: a marker
 * array while it stays small (16 MiB) or not much larger than the hash table would be.
 */
export function rankSetFor(rows: number, maxItems: number): RankSet {
  const items = Math.min(rows, maxItems);
  if (rows <= 1 << 22 || (rows <= 1 << 26 && rows <= 8 * items)) return new MarkerSet(rows);
  return new RankHashSet(items);
}
