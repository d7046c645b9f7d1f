import { hashRank } from './distinct.js';

/**
 * Dynamic row caches of a fixed number of rows (the simulator's comparison for static top-c caches,
 * DESIGN.md §6). `access(rank)` returns true on a hit; on a miss the row is admitted, evicting one
 * row when the cache is full. Capacity 0 caches nothing.
 */
export interface RowCache {
  readonly capacity: number;
  readonly size: number;
  hits: number;
  misses: number;
  access(rank: number): boolean;
  has(rank: number): boolean;
}

/** Float64 key -> int32 value, open addressing with linear probing and backward-shift deletion. */
class RankMap {
  private readonly keys: Float64Array;
  private readonly vals: Int32Array;
  private readonly mask: number;
  private readonly shift: number;
  constructor(maxItems: number) {
    let bits = 1;
    while (1 << bits < 2 * Math.max(1, maxItems)) bits++;
    this.keys = new Float64Array(1 << bits);
    this.vals = new Int32Array(1 << bits).fill(-1);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }
  get(key: number): number {
    let h = hashRank(key, this.shift);
    for (;;) {
      const v = this.vals[h]!;
      if (v < 0) return -1;
      if (this.keys[h] === key) return v;
      h = (h + 1) & this.mask;
    }
  }
  set(key: number, val: number): void {
    let h = hashRank(key, this.shift);
    while (this.vals[h]! >= 0 && this.keys[h] !== key) h = (h + 1) & this.mask;
    this.keys[h] = key;
    this.vals[h] = val;
  }
  delete(key: number): void {
    const mask = this.mask;
    let h = hashRank(key, this.shift);
    for (;;) {
      if (this.vals[h]! < 0) return;
      if (this.keys[h] === key) break;
      h = (h + 1) & mask;
    }
    // backward shift: move later entries of the probe run into the hole unless they sit at or after home
    let hole = h;
    let j = h;
    for (;;) {
      j = (j + 1) & mask;
      if (this.vals[j]! < 0) break;
      const home = hashRank(this.keys[j]!, this.shift);
      // the entry at j may fill the hole when its home is not in (hole, j] cyclically
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.keys[hole] = this.keys[j]!;
        this.vals[hole] = this.vals[j]!;
        hole = j;
      }
    }
    this.vals[hole] = -1;
  }
}

/** Least recently used: a doubly linked list of slots, most recent at the head. */
export class LruCache implements RowCache {
  hits = 0;
  misses = 0;
  size = 0;
  private readonly map: RankMap;
  private readonly key: Float64Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;

  constructor(readonly capacity: number) {
    if (!(capacity >= 0) || !Number.isInteger(capacity)) throw new RangeError(`cache capacity must be an integer >= 0 (got ${capacity})`);
    this.map = new RankMap(capacity);
    this.key = new Float64Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
  }
  has(rank: number): boolean {
    return this.capacity > 0 && this.map.get(rank) >= 0;
  }
  private unlink(s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }
  private pushFront(s: number): void {
    this.prev[s] = -1;
    this.next[s] = this.head;
    if (this.head >= 0) this.prev[this.head] = s;
    this.head = s;
    if (this.tail < 0) this.tail = s;
  }
  access(rank: number): boolean {
    if (this.capacity === 0) {
      this.misses++;
      return false;
    }
    let s = this.map.get(rank);
    if (s >= 0) {
      this.hits++;
      if (s !== this.head) {
        this.unlink(s);
        this.pushFront(s);
      }
      return true;
    }
    this.misses++;
    if (this.size < this.capacity) s = this.size++;
    else {
      s = this.tail;
      this.map.delete(this.key[s]!);
      this.unlink(s);
    }
    this.key[s] = rank;
    this.map.set(rank, s);
    this.pushFront(s);
    return false;
  }
}

/**
 * Least frequently used, with counts kept while a row is cached (a newly admitted row starts at 1) and
 * ties broken by least recent use: a binary min-heap of slots keyed by (count, last access).
 */
export class LfuCache implements RowCache {
  hits = 0;
  misses = 0;
  size = 0;
  private readonly map: RankMap;
  private readonly key: Float64Array;
  private readonly count: Float64Array;
  private readonly last: Float64Array;
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;
  private clock = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 0) || !Number.isInteger(capacity)) throw new RangeError(`cache capacity must be an integer >= 0 (got ${capacity})`);
    this.map = new RankMap(capacity);
    this.key = new Float64Array(capacity);
    this.count = new Float64Array(capacity);
    this.last = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
    this.pos = new Int32Array(capacity);
  }
  has(rank: number): boolean {
    return this.capacity > 0 && this.map.get(rank) >= 0;
  }
  private less(a: number, b: number): boolean {
    return this.count[a]! < this.count[b]! || (this.count[a] === this.count[b] && this.last[a]! < this.last[b]!);
  }
  private place(i: number, s: number): void {
    this.heap[i] = s;
    this.pos[s] = i;
  }
  private siftUp(i: number): void {
    const s = this.heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = this.heap[p]!;
      if (!this.less(s, ps)) break;
      this.place(i, ps);
      i = p;
    }
    this.place(i, s);
  }
  private siftDown(i: number): void {
    const s = this.heap[i]!;
    const n = this.size;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(this.heap[c + 1]!, this.heap[c]!)) c++;
      const cs = this.heap[c]!;
      if (!this.less(cs, s)) break;
      this.place(i, cs);
      i = c;
    }
    this.place(i, s);
  }
  access(rank: number): boolean {
    this.clock++;
    if (this.capacity === 0) {
      this.misses++;
      return false;
    }
    let s = this.map.get(rank);
    if (s >= 0) {
      this.hits++;
      this.count[s]! += 1;
      this.last[s] = this.clock;
      this.siftDown(this.pos[s]!);
      return true;
    }
    this.misses++;
    if (this.size < this.capacity) {
      s = this.size++;
      this.key[s] = rank;
      this.count[s] = 1;
      this.last[s] = this.clock;
      this.map.set(rank, s);
      this.place(this.size - 1, s);
      this.siftUp(this.size - 1);
    } else {
      s = this.heap[0]!;
      this.map.delete(this.key[s]!);
      this.key[s] = rank;
      this.count[s] = 1;
      this.last[s] = this.clock;
      this.map.set(rank, s);
      this.siftDown(0);
    }
    return false;
  }
}
