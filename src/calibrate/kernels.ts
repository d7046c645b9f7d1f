/**
 * The cpu reference kernels (plain TypeScript over typed arrays). The cpu backend times them; every other
 * backend's results are checked against them.
 */

/** out[j * dim + k] = table[idx[j] * dim + k]. */
export function gatherRows(table: Float32Array, dim: number, idx: Uint32Array, out: Float32Array = new Float32Array(idx.length * dim)): Float32Array {
  const n = idx.length;
  if (dim >= 16) {
    // 64-byte rows and up: a typed-array set (a memmove) for every row size the calibration sweeps, one code path so
    // the time is one law in rows and bytes (proofs/calibration-fit.md §6a). The element loop won on 64 B rows
    // (17 ns against 37 ns per cache-resident row here) but cost 75 ns on 128 B and 1050 ns on 2 KiB rows, and a
    // sweep whose row sizes ran on two paths fitted the receive buffer's law with a 25% spread between runs.
    for (let j = 0; j < n; j++) {
      const src = idx[j]! * dim;
      out.set(table.subarray(src, src + dim), j * dim);
    }
    return out;
  }
  for (let j = 0; j < n; j++) {
    const src = idx[j]! * dim;
    const dst = j * dim;
    for (let k = 0; k < dim; k++) out[dst + k] = table[src + k]!;
  }
  return out;
}

/**
 * The optimizer update of rows: table[slots[i]] -= lr * grad[i] for i < count. Each row is read and written
 * once (one random read-modify-write access, 2 r bytes: the model's update, proofs/cost-model.md §3, §7);
 * the gradient is read sequentially. The calibration times this loop and `scarec validate` runs it.
 */
export function updateRows(table: Float32Array, dim: number, slots: Uint32Array, count: number, grad: Float32Array, lr = 0.01): void {
  for (let i = 0; i < count; i++) {
    const a = slots[i]! * dim;
    const b = i * dim;
    for (let k = 0; k < dim; k++) table[a + k] -= lr * grad[b + k]!;
  }
}

/**
 * Scratch for dedupRows: a stamp per table row. Reusing it across batches makes dedup O(lookups), not
 * O(rows), per batch: a row is "seen in this batch" when its stamp equals the batch's epoch.
 */
export interface DedupScratch {
  stamp: Uint32Array;
  slot: Uint32Array;
  epoch: number;
}

export function dedupScratch(rows: number): DedupScratch {
  return { stamp: new Uint32Array(rows), slot: new Uint32Array(rows), epoch: 0 };
}

/**
 * Distinct ids in first-occurrence order, and inverse[j] = position of idx[j] among them. Returns the
 * number of distinct ids; `unique` holds them in its first `count` entries.
 */
export function dedupRows(
  idx: Uint32Array,
  scratch: DedupScratch,
  unique: Uint32Array = new Uint32Array(idx.length),
  inverse: Uint32Array = new Uint32Array(idx.length),
): number {
  scratch.epoch = (scratch.epoch + 1) >>> 0;
  if (scratch.epoch === 0) {
    scratch.stamp.fill(0);
    scratch.epoch = 1;
  }
  const { stamp, slot, epoch } = scratch;
  let count = 0;
  for (let j = 0; j < idx.length; j++) {
    const id = idx[j]!;
    if (stamp[id] !== epoch) {
      stamp[id] = epoch;
      slot[id] = count;
      unique[count++] = id;
    }
    inverse[j] = slot[id]!;
  }
  return count;
}

/** Reference dedup with fresh scratch: trimmed unique ids and the inverse map. */
export function dedupReference(idx: Uint32Array, rows: number): { unique: Uint32Array; inverse: Uint32Array } {
  const unique = new Uint32Array(idx.length);
  const inverse = new Uint32Array(idx.length);
  const count = dedupRows(idx, dedupScratch(rows), unique, inverse);
  return { unique: unique.slice(0, count), inverse };
}

/** Does (unique, inverse) describe idx's distinct ids exactly (any order of unique)? */
export function checkDedup(idx: Uint32Array, unique: Uint32Array, inverse: Uint32Array): boolean {
  if (inverse.length !== idx.length) return false;
  const seen = new Set<number>();
  for (const u of unique) {
    if (seen.has(u)) return false; // not distinct
    seen.add(u);
  }
  for (let j = 0; j < idx.length; j++) if (inverse[j]! >= unique.length || unique[inverse[j]!] !== idx[j]) return false;
  // every unique id is used (none invented): |unique| equals the number of distinct ids
  return unique.length === new Set(idx).size;
}

/** Exact equality of two float arrays (a gather copies bits; nothing may differ). */
export function sameFloats(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** A table of rows*dim floats whose every entry is distinct and encodes (row, column), so a wrong row is caught. */
export function makeTable(rows: number, dim: number): Float32Array {
  const t = new Float32Array(rows * dim);
  // Values row + k / dim... collide in float32 for large rows; use the bit pattern of (row * dim + k) instead.
  const bits = new Uint32Array(t.buffer);
  // Set exponent bits to keep every value a normal finite float: 0x3f800000 | (i & 0x7fffff) covers 2^23 distinct
  // values, then the low exponent bits carry the rest.
  for (let i = 0; i < bits.length; i++) bits[i] = (0x20000000 + (i % 0x3f000000)) >>> 0;
  return t;
}
