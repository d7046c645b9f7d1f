import { HyperLogLog } from './hyperloglog.js';

/**
 * Exact per-key access counts in an open-addressing (linear probing) hash table over typed arrays: keys are
 * 32-bit halves (criteo categories fit in one uint32; `ids` may use up to 53 bits), counts are float64
 * (exact to 2^53, so no overflow on Terabyte's 4.4e9 lines). An empty slot has count 0.
 *
 * Memory: 12 bytes per slot (16 when keys are wide), the table grows by doubling at load 0.7. When a shared
 * memory budget says no to a doubling, the table stops growing and becomes a Misra-Gries summary at its
 * current size (proofs/heavy-hitters.md): when full, every counter is lowered by the (k+1)-th largest count t
 * and those at or below zero are dropped. Then for every key, kept count <= true count <= kept + errorBound,
 * where errorBound = sum of all t <= (accesses - sum of kept counts) / (k+1); from that moment a HyperLogLog
 * sketch (fed first with every key the exact table held) estimates the distinct count.
 */

/** Bytes a set of counters may still allocate (shared by the counters of one run; mutated as they grow). */
export interface MemoryBudget {
  remainingBytes: number;
}

const MAX_LOAD = 0.7;
const MIN_BITS = 4;
/** a table never caps below this many slots: a Misra-Gries summary of fewer counters is of little use */
const MIN_CAPPED_BITS = 10;
const HLL_PRECISION = 14;

export interface CounterSlots {
  keysLo: Uint32Array;
  keysHi: Uint32Array | null;
  counts: Float64Array;
}

export class KeyCounter {
  readonly wide: boolean;
  private bits: number;
  private shift: number;
  private mask: number;
  private keysLo: Uint32Array;
  private keysHi: Uint32Array | null;
  private counts: Float64Array;
  private growAt: number;
  /** number of keys held */
  size = 0;
  /** all accesses added (exact even when the table is a summary) */
  accesses = 0;
  /** Misra-Gries: keys held before a reduction (Infinity while exact) */
  private maxKeys = Infinity;
  /** Misra-Gries: sum of the reduction thresholds, the bound on every count's underestimate */
  errorBound = 0;
  /** Misra-Gries: number of reductions done */
  reductions = 0;
  hll: HyperLogLog | null = null;
  private readonly budget: MemoryBudget | undefined;

  constructor(opts: { wide?: boolean; initialBits?: number; budget?: MemoryBudget; maxKeys?: number } = {}) {
    this.wide = opts.wide ?? false;
    this.budget = opts.budget;
    const bits = Math.max(MIN_BITS, opts.initialBits ?? 10);
    this.bits = bits;
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
    const cap = 1 << bits;
    if (this.budget) this.budget.remainingBytes -= cap * this.slotBytes;
    this.keysLo = new Uint32Array(cap);
    this.keysHi = this.wide ? new Uint32Array(cap) : null;
    this.counts = new Float64Array(cap);
    this.growAt = Math.floor(cap * MAX_LOAD);
    // A fixed number of counters (tests and callers that want a summary from the start).
    if (opts.maxKeys !== undefined) this.capAt(opts.maxKeys);
  }

  get slotBytes(): number {
    return this.wide ? 16 : 12;
  }

  /** true once the table has become a bounded summary (counts are lower bounds, distinct is estimated) */
  get approximate(): boolean {
    return this.reductions > 0;
  }

  get capacity(): number {
    return this.keysLo.length;
  }

  /** Bytes held by the table (and the sketch, if any). */
  get memoryBytes(): number {
    return this.capacity * this.slotBytes + (this.hll ? this.hll.registers.length : 0);
  }

  /** Stop growing: hold at most maxKeys keys, reducing Misra-Gries style when full. */
  private capAt(maxKeys: number): void {
    if (!(maxKeys >= 2)) throw new RangeError(`a Misra-Gries summary needs at least 2 counters (got ${maxKeys})`);
    this.maxKeys = Math.floor(maxKeys);
    while (this.maxKeys > this.growAt) this.rehash(this.bits + 1);
  }

  /** Count one access to a 32-bit key. */
  add32(key: number): void {
    const keys = this.keysLo;
    const counts = this.counts;
    const mask = this.mask;
    let s = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const c = counts[s]!;
      if (c === 0) break;
      if (keys[s] === key) {
        counts[s] = c + 1;
        this.accesses++;
        if (this.hll !== null) this.hll.add(key, 0);
        return;
      }
      s = (s + 1) & mask;
    }
    this.insertNew(key >>> 0, 0, s);
  }

  /** Count one access to a key given as 32-bit halves (wide counters only for hi != 0). */
  add64(lo: number, hi: number): void {
    if (!this.wide) {
      if (hi !== 0) throw new RangeError('key does not fit in 32 bits (use a wide counter)');
      this.add32(lo);
      return;
    }
    const keysLo = this.keysLo;
    const keysHi = this.keysHi!;
    const counts = this.counts;
    const mask = this.mask;
    let s = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
    for (;;) {
      const c = counts[s]!;
      if (c === 0) break;
      if (keysLo[s] === lo && keysHi[s] === hi) {
        counts[s] = c + 1;
        this.accesses++;
        if (this.hll !== null) this.hll.add(lo, hi);
        return;
      }
      s = (s + 1) & mask;
    }
    this.insertNew(lo >>> 0, hi >>> 0, s);
  }

  private slotOf(lo: number, hi: number): number {
    return (this.wide ? Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) : Math.imul(lo, 0x9e3779b1)) >>> this.shift;
  }

  /** A key not in the table, whose probe ended at empty slot s. */
  private insertNew(lo: number, hi: number, s: number): void {
    this.accesses++;
    if (this.size + 1 > this.growAt || this.size + 1 > this.maxKeys) {
      if (this.size + 1 > this.maxKeys) {
        this.reduce();
      } else {
        const extra = this.capacity * this.slotBytes;
        if (this.budget && this.budget.remainingBytes < extra && this.bits >= MIN_CAPPED_BITS) {
          this.capAt(this.growAt);
          this.reduce();
        } else {
          if (this.budget) this.budget.remainingBytes -= extra;
          this.rehash(this.bits + 1);
        }
      }
      if (this.hll !== null) this.hll.add(lo, hi);
      this.place(lo, hi, 1);
      return;
    }
    if (this.hll !== null) this.hll.add(lo, hi);
    this.keysLo[s] = lo;
    if (this.keysHi) this.keysHi[s] = hi;
    this.counts[s] = 1;
    this.size++;
  }

  /** Insert a key known to be absent, with a count (used by rehash and reduce). */
  private place(lo: number, hi: number, count: number): void {
    const mask = this.mask;
    let s = this.slotOf(lo, hi);
    while (this.counts[s] !== 0) s = (s + 1) & mask;
    this.keysLo[s] = lo;
    if (this.keysHi) this.keysHi[s] = hi;
    this.counts[s] = count;
    this.size++;
  }

  private rehash(bits: number): void {
    const { keysLo, keysHi, counts } = this;
    this.bits = bits;
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
    const cap = 1 << bits;
    this.keysLo = new Uint32Array(cap);
    this.keysHi = this.wide ? new Uint32Array(cap) : null;
    this.counts = new Float64Array(cap);
    this.growAt = Math.floor(cap * MAX_LOAD);
    this.size = 0;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i]!;
      if (c !== 0) this.place(keysLo[i]!, keysHi ? keysHi[i]! : 0, c);
    }
  }

  /**
   * Misra-Gries reduction with k = floor(maxKeys / 2): t = the (k+1)-th largest count; every counter loses t
   * and those at or below zero leave. At least k+1 counters lose the full t and at least maxKeys - k leave
   * (proofs/heavy-hitters.md, section 2).
   */
  private reduce(): void {
    const { keysLo, keysHi, counts } = this;
    if (this.hll === null) {
      // The table is still exact: it holds every key seen so far, so the sketch starts complete.
      this.hll = new HyperLogLog(HLL_PRECISION);
      for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) this.hll.add(keysLo[i]!, keysHi ? keysHi[i]! : 0);
    }
    const held = new Float64Array(this.size);
    let n = 0;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) held[n++] = counts[i]!;
    const k = Math.floor(this.maxKeys / 2);
    const t = kthLargest(held, k); // 0-based k: the (k+1)-th largest
    const survivors = [] as number[];
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i]!;
      if (c > t) survivors.push(keysLo[i]!, keysHi ? keysHi[i]! : 0, c - t);
    }
    counts.fill(0);
    this.size = 0;
    for (let j = 0; j < survivors.length; j += 3) this.place(survivors[j]!, survivors[j + 1]!, survivors[j + 2]!);
    this.errorBound += t;
    this.reductions++;
  }

  /** Misra-Gries: keys held before a reduction (Infinity while exact); profiles record it for `stats --merge` */
  get summaryMaxKeys(): number {
    return this.maxKeys;
  }

  /** Distinct keys: exact, or the HyperLogLog estimate once the table is a summary. */
  distinct(): number {
    if (this.hll === null) return this.size;
    return Math.max(this.size, Math.round(this.hll.estimate()));
  }

  /** The raw arrays (read-only use): slot i holds a key when counts[i] > 0. */
  slots(): CounterSlots {
    return { keysLo: this.keysLo, keysHi: this.keysHi, counts: this.counts };
  }

  /** Count of one key (0 if absent; a lower bound once approximate). */
  get(lo: number, hi = 0): number {
    let s = this.slotOf(lo >>> 0, hi >>> 0);
    for (;;) {
      const c = this.counts[s]!;
      if (c === 0) return 0;
      if (this.keysLo[s] === lo >>> 0 && (this.keysHi === null || this.keysHi[s] === hi >>> 0)) return c;
      s = (s + 1) & this.mask;
    }
  }
}

/** The value at 0-based position k of `a` sorted in decreasing order (Hoare quickselect; reorders a). */
export function kthLargest(a: Float64Array, k: number): number {
  if (k < 0 || k >= a.length) throw new RangeError(`kthLargest: position ${k} outside 0..${a.length - 1}`);
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const x = a[i]!;
        a[i] = a[j]!;
        a[j] = x;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
