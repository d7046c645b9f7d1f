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

/**
 * Open addressing with linear probing; a slot holds its rank or -1 (empty), so a probe reads one array.
 * The table starts small and doubles while it passes half full, up to room for `maxItems` at load 1/2:
 * a batch with few distinct cold ranks keeps a cache-sized table. Clearing empties the listed slots, or
 * fills the table when that is cheaper.
 */
export class RankHashSet implements RankSet {
  private keys: Float64Array;
  private slots: Int32Array;
  private mask: number;
  private shift: number;
  private readonly maxBits: number;
  private readonly maxItems: number;
  size = 0;
  /** room for `maxItems` distinct ranks at load factor <= 1/2 */
  constructor(maxItems: number) {
    let bits = 1;
    while (1 << bits < 2 * Math.max(1, maxItems)) bits++;
    if (bits > 30) throw new RangeError(`hash set for ${maxItems} items is too large`);
    this.maxBits = bits;
    this.maxItems = Math.max(1, maxItems);
    const start = Math.min(bits, 12);
    this.keys = new Float64Array(1 << start).fill(-1);
    this.slots = new Int32Array(1 << (start - 1));
    this.mask = (1 << start) - 1;
    this.shift = 32 - start;
  }
  add(rank: number): boolean {
    const keys = this.keys;
    const mask = this.mask;
    let h = hashRank(rank, this.shift);
    for (;;) {
      const k = keys[h]!;
      if (k === rank) return false;
      if (k === -1) break;
      h = (h + 1) & mask;
    }
    if (this.size >= this.maxItems) throw new RangeError(`hash set full (${this.maxItems} items)`);
    keys[h] = rank;
    this.slots[this.size++] = h;
    // keep the load at most 1/2 (the table for maxItems items is never outgrown: size <= maxItems)
    if (2 * this.size >= keys.length && 32 - this.shift < this.maxBits) this.grow();
    return true;
  }
  private grow(): void {
    const old = this.keys;
    const oldSlots = this.slots;
    const bits = 33 - this.shift;
    this.keys = new Float64Array(1 << bits).fill(-1);
    this.slots = new Int32Array(1 << (bits - 1));
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    for (let i = 0; i < this.size; i++) {
      const rank = old[oldSlots[i]!]!;
      let h = hashRank(rank, this.shift);
      while (this.keys[h] !== -1) h = (h + 1) & this.mask;
      this.keys[h] = rank;
      this.slots[i] = h;
    }
  }
  clear(): void {
    const keys = this.keys;
    if (this.size * 8 > keys.length) keys.fill(-1);
    else for (let i = 0; i < this.size; i++) keys[this.slots[i]!] = -1;
    this.size = 0;
  }
}

/**
 * A bitmap over ranks [0, bitRows) — one bit per rank, so a table of 2e7 rows takes 2.4 MiB and the hot
 * ranks of a skewed distribution share a few cache lines — plus, for tables with more rows, a RankHashSet
 * for the ranks at or past bitRows (the cold tail). Clearing zeroes only the bitmap words that were set
 * (listed as they go from 0 to non-zero), or the whole bitmap when that is cheaper.
 */
export class BitmapRankSet implements RankSet {
  private readonly bits: Int32Array;
  private readonly usedWords: Int32Array;
  private usedCount = 0;
  private readonly bitRows: number;
  private readonly tail: RankHashSet | undefined;
  private bitSize = 0;
  /** bitRows <= 2^31; tailItems: room for distinct ranks >= bitRows per clear (0 when no rank reaches there) */
  constructor(bitRows: number, tailItems = 0) {
    if (!(bitRows >= 1 && bitRows <= 2 ** 31)) throw new RangeError(`bitmap over ${bitRows} ranks is out of range`);
    this.bitRows = bitRows;
    const words = Math.ceil(bitRows / 32);
    this.bits = new Int32Array(words);
    this.usedWords = new Int32Array(words);
    this.tail = tailItems > 0 ? new RankHashSet(tailItems) : undefined;
  }
  get size(): number {
    return this.bitSize + (this.tail ? this.tail.size : 0);
  }
  add(rank: number): boolean {
    if (rank < this.bitRows) {
      const w = rank >>> 5;
      const bit = 1 << (rank & 31);
      const v = this.bits[w]!;
      if ((v & bit) !== 0) return false;
      if (v === 0) this.usedWords[this.usedCount++] = w;
      this.bits[w] = v | bit;
      this.bitSize++;
      return true;
    }
    if (!this.tail) throw new RangeError(`rank ${rank} is past the ${this.bitRows} ranks of this set`);
    return this.tail.add(rank);
  }
  clear(): void {
    const bits = this.bits;
    // listed words are scattered writes, a fill is sequential: about 8 words filled cost one scattered write
    if (this.usedCount * 8 > bits.length) bits.fill(0);
    else {
      const used = this.usedWords;
      for (let i = 0; i < this.usedCount; i++) bits[used[i]!] = 0;
    }
    this.usedCount = 0;
    this.bitSize = 0;
    if (this.tail) this.tail.clear();
  }
}

/** ranks kept in the bitmap of a BitmapRankSet: all of them up to 2^28 rows (32 MiB), else the hottest 2^23 (1 MiB) */
const BITMAP_ALL_ROWS = 2 ** 28;
const BITMAP_HEAD_ROWS = 2 ** 23;

/**
 * The faster set for a table of `rows` rows and at most `maxItems` distinct ranks per clear: a marker
 * array while it stays small (16 MiB) or not much larger than the hash table would be.
 */
export function rankSetFor(rows: number, maxItems: number): RankSet {
  const items = Math.min(rows, maxItems);
  if (rows <= BITMAP_ALL_ROWS) return new BitmapRankSet(rows);
  return new BitmapRankSet(BITMAP_HEAD_ROWS, Math.min(items, rows - BITMAP_HEAD_ROWS));
}
