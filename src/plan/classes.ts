import {
  addRangeLoads,
  combineTerms,
  computeSeconds,
  emptyLoads,
  gpuEmbeddingCapacityBytes,
  iterationTerms,
  resourceSeconds,
  workerLookups,
  type Loads,
  type RangeSums,
} from '../model/loads.js';
import type { Scenario } from '../model/scenario.js';
import type { PlanRange } from '../model/schema.js';
import type { CheckedPlan } from '../model/plan.js';
import type { Bucket } from './buckets.js';

/**
 * Placement classes of a row: replicated (index -1 in `classIndex` order), sharded to GPU g, host.
 * A row's class list is, in rank order within a bucket: replicated, gpu 0..W-1, host (DESIGN §4: a plan
 * places a bucket's rows hottest first).
 */
export type PlaceClass = { at: 'replicated' } | { at: 'gpu'; gpu: number } | { at: 'host' };

/** Class order used everywhere: 0 = replicated, 1..W = gpu 0..W-1, W+1 = host. */
export function classList(W: number): PlaceClass[] {
  return [{ at: 'replicated' }, ...Array.from({ length: W }, (_, g) => ({ at: 'gpu' as const, gpu: g })), { at: 'host' }];
}
export { addScaledLoads } from '../model/loads.js';

export const REP = 0;
export const gpuClass = (g: number) => 1 + g;
export const hostClass = (W: number) => W + 1;

/**
 * Loads of `units` units of an item in one class: straight from addRangeLoads (the one cost function).
 * A unit is one row of a bucket (scale 1/n) or, for table-wise items, the whole table (scale 1).
 */
export function unitLoads(scenario: Scenario, item: Bucket, cls: PlaceClass, coalesce: boolean, perRow: boolean, sums: RangeSums = item.sums): Loads {
  const loads = emptyLoads(scenario.gpus.length);
  addRangeLoads(
    loads,
    scenario,
    scenario.tables[item.table]!,
    cls.at,
    cls.at === 'gpu' ? cls.gpu : undefined,
    sums,
    coalesce,
    perRow ? 1 / item.rows : 1,
  );
  return loads;
}

/** Makespan (seconds) of aggregated loads: evaluate's own iterationTerms and combineTerms. */
export function makespanSec(scenario: Scenario, loads: Loads, coalesce: boolean, compute?: ReadonlyArray<{ denseSec: number; dedupSec: number }>): number {
  const terms = iterationTerms(scenario, loads, coalesce, compute);
  let worst = 0;
  for (const t of terms) worst = Math.max(worst, combineTerms(t, scenario.training.overlap));
  return worst;
}

/**
 * Row counts per item and class -> a plan. Within a bucket rows go in rank order, hottest first:
 * replicated, then gpu 0..W-1, then host. Adjacent ranges of the same class are merged.
 */
export function plansFromCounts(scenario: Scenario, items: Bucket[], counts: number[][], coalesce: boolean, name: string, extra: Record<string, unknown> = {}): CheckedPlan {
  const W = scenario.gpus.length;
  const classes = classList(W);
  const tables: Record<string, PlanRange[]> = {};
  for (const t of scenario.tables) tables[t.name] = [];
  items.forEach((item, i) => {
    const table = scenario.tables[item.table]!;
    const list = tables[table.name]!;
    let at = item.from;
    const row = counts[i]!;
    const total = row.reduce((s, x) => s + x, 0);
    if (total !== item.rows) throw new Error(`internal: item ${i} of table ${table.name} has ${total} rows placed, expected ${item.rows}`);
    classes.forEach((cls, c) => {
      const n = row[c]!;
      if (n <= 0) return;
      const range: PlanRange = cls.at === 'gpu' ? { from: at, to: at + n, at: 'gpu', gpu: cls.gpu } : { from: at, to: at + n, at: cls.at };
      const last = list[list.length - 1];
      if (last && last.at === range.at && last.gpu === range.gpu && last.to === range.from) last.to = range.to;
      else list.push(range);
      at += n;
    });
  });
  return { name, algorithm: name, coalesce, tables, ...extra };
}

/** Aggregate loads and class row counts of integer counts on items (the bucketed model's evaluate). */
export function bucketedLoads(scenario: Scenario, items: Bucket[], counts: number[][], coalesce: boolean, lower = false): Loads {
  const W = scenario.gpus.length;
  const classes = classList(W);
  const loads = emptyLoads(W);
  items.forEach((item, i) => {
    classes.forEach((cls, c) => {
      const n = counts[i]![c]!;
      if (n > 0) {
        addRangeLoads(loads, scenario, scenario.tables[item.table]!, cls.at, cls.at === 'gpu' ? cls.gpu : undefined, lower ? item.lowerSums : item.sums, coalesce, n / item.rows);
      }
    });
  });
  fixRowCounters(loads, items, counts, W);
  return loads;
}

/** Exact integer class counters (floating sums of n * (1/n) may leave 1e-16 residues that would turn latencies on). */
export function fixRowCounters(loads: Loads, items: Bucket[], counts: number[][], W: number): void {
  let rep = 0;
  let sh = 0;
  let host = 0;
  counts.forEach((row, i) => {
    void items[i];
    rep += row[REP]!;
    for (let g = 0; g < W; g++) sh += row[gpuClass(g)]!;
    host += row[hostClass(W)]!;
  });
  if (W === 1) {
    loads.rowsReplicated = rep + sh;
    loads.rowsSharded = 0;
  } else {
    loads.rowsReplicated = rep;
    loads.rowsSharded = sh;
  }
  loads.rowsHost = host;
}

/**
 * Aggregated loads as typed arrays of resource seconds, for local search (greedy). Every (item, class) has a
 * unit record: the seconds of one row of the item in that class, from resourceSeconds of addRangeLoads (the
 * one cost function). A move of k rows adds k times a unit; the makespan is iterationTerms + combineTerms
 * written over the aggregated records (test/plan/greedy.test.ts checks it against makespanSec of
 * bucketedLoads).
 *
 * The unit records are built by linearity (proofs/greedy.md §1, from proofs/cost-model.md: every load is
 * linear in the range sums (n, P, S_1..S_W, S_G)): per table shape and class, addRangeLoads and
 * resourceSeconds are called once per basis vector of the sums, and an item's record is the combination of
 * those basis records with its own sums divided by its row count. Workers with the same lookups K_{t,w} have
 * the same S_w (the sums are functions of K), so they share one basis vector; an item whose sums break that
 * (or that carries per-worker masses) is costed directly, one addRangeLoads per class.
 *
 * Record layout (R = 5W + 3 numbers): gather seconds per GPU, host-link seconds per GPU, all-to-all in and
 * out seconds per GPU, GPU memory bytes per GPU, then all-reduce seconds, host DRAM seconds, host memory bytes.
 * A state is a record of the sums plus three class row counters (replicated, sharded, host) for the latencies.
 */
export type FastState = Float64Array;

export interface FastLoads {
  W: number;
  H: number;
  nC: number;
  /** record length 5W + 3 (a state has R + 3 entries) */
  R: number;
  /** bytes per row of each item (row plus optimizer state) */
  mem: Float64Array;
  /** rows of each item */
  rows: Float64Array;
  /** unit records: entry j of item i, class c is unit[(i * nC + c) * R + j] */
  unit: Float64Array;
  overlap: 'serial' | 'full';
  /** GPU embedding capacities (bytes) and host capacity */
  caps: Float64Array;
  hostCap: number;
  state(counts: number[][]): FastState;
  /** k rows of item i into class c (k may be negative) */
  add(st: FastState, i: number, c: number, k: number): void;
  /** k rows of item i from class `from` to class `to` (k may be negative) */
  move(st: FastState, i: number, from: number, to: number, k: number): void;
  fits(st: FastState): boolean;
  /** iteration seconds of GPU w */
  gpuTime(st: FastState, w: number): number;
  /** iteration seconds of GPU w if k more rows of item i were in class c (the state is not changed) */
  gpuTimeWith(st: FastState, w: number, i: number, c: number, k: number): number;
  makespan(st: FastState): number;
  /** [makespan, sum of per-GPU times] */
  score(st: FastState): [number, number];
  /**
   * Per-GPU times into `times`, and a tie-break for the search: with serial overlap the sum of squared GPU
   * times; with full overlap, where a GPU's time is its busiest resource, the sum over GPUs and resources of
   * the squared resource times (so a resource that does not bind yet still counts).
   */
  tieBreak(st: FastState, times: Float64Array): number;
  /** rows of item i that class `to` still has memory for */
  room(st: FastState, i: number, to: number): number;
  /** bytes class c still has (for the replicated class, the least on any GPU) */
  freeBytes(st: FastState, c: number): number;
  /** mean over GPUs of the linear seconds of one row of item i in class c */
  meanLinear(i: number, c: number): number;
}

/** Offsets of the record fields. */
export function fastOffsets(W: number) {
  return { gather: 0, link: W, ain: 2 * W, aout: 3 * W, gmem: 4 * W, ar: 5 * W, dram: 5 * W + 1, hmem: 5 * W + 2, rows: 5 * W + 3 };
}

function writeRecord(dst: Float64Array, at: number, scenario: Scenario, l: Loads): void {
  const W = scenario.gpus.length;
  const sec = resourceSeconds(scenario, l);
  for (let w = 0; w < W; w++) {
    dst[at + w] = sec.gatherSec[w]!;
    dst[at + W + w] = sec.hostLinkSec[w]!;
    dst[at + 2 * W + w] = sec.allToAllInSec[w]!;
    dst[at + 3 * W + w] = sec.allToAllOutSec[w]!;
    dst[at + 4 * W + w] = l.gpuMemoryBytes[w]!;
  }
  dst[at + 5 * W] = sec.allReduceSec;
  dst[at + 5 * W + 1] = sec.hostDramSec;
  dst[at + 5 * W + 2] = l.hostMemoryBytes;
}

/** Basis records of one table: per class, one record per basis vector of the range sums (see FastLoads). */
interface TableBasis {
  /** groups of workers sharing S_w (same K_{t,w}) */
  groups: number[][];
  /** record of basis j in class c at (c * J + j) * R; J = 3 + groups.length: n, P, S_G, then S per group */
  rec: Float64Array;
  /** the nonzero entries of each of those records (most are sparse) */
  nz: Int32Array[];
}

/**
 * Tables that addRangeLoads cannot tell apart share their basis: everything it reads of a table other than
 * through the range sums (row and optimizer bytes, pooling, ...), i.e. every field but the table's identity,
 * size and distribution.
 */
function basisKey(scenario: Scenario, t: number): string {
  const table = scenario.tables[t]! as unknown as Record<string, unknown>;
  return Object.keys(table)
    .filter((k) => k !== 'index' && k !== 'name' && k !== 'rows' && k !== 'distribution' && k !== 'distributionSpec')
    .sort()
    .map((k) => `${k}=${JSON.stringify(table[k])}`)
    .join('|');
}

function tableBasis(scenario: Scenario, t: number, coalesce: boolean, R: number): TableBasis {
  const W = scenario.gpus.length;
  const table = scenario.tables[t]!;
  const byK = new Map<number, number[]>();
  for (let w = 0; w < W; w++) {
    const K = workerLookups(scenario, table, w);
    const g = byK.get(K);
    if (g) g.push(w);
    else byK.set(K, [w]);
  }
  const groups = [...byK.values()];
  const J = 3 + groups.length;
  const classes = classList(W);
  const rec = new Float64Array(classes.length * J * R);
  const zero = new Float64Array(W);
  classes.forEach((cls, c) => {
    if (W === 1 && c === gpuClass(0)) return; // never used with one GPU (the replicated class covers it)
    for (let j = 0; j < J; j++) {
      let sums: RangeSums;
      if (j === 0) sums = { rows: 1, mass: 0, touchedPerWorker: zero, touchedGlobal: 0 };
      else if (j === 1) sums = { rows: 0, mass: 1, touchedPerWorker: zero, touchedGlobal: 0 };
      else if (j === 2) sums = { rows: 0, mass: 0, touchedPerWorker: zero, touchedGlobal: 1 };
      else {
        const tw = new Float64Array(W);
        for (const w of groups[j - 3]!) tw[w] = 1;
        sums = { rows: 0, mass: 0, touchedPerWorker: tw, touchedGlobal: 0 };
      }
      const l = emptyLoads(W);
      addRangeLoads(l, scenario, table, cls.at, cls.at === 'gpu' ? cls.gpu : undefined, sums, coalesce, 1);
      writeRecord(rec, (c * J + j) * R, scenario, l);
    }
  });
  const nz = Array.from({ length: classes.length * J }, (_, cj) => {
    const idx: number[] = [];
    for (let e = 0; e < R; e++) if (rec[cj * R + e] !== 0) idx.push(e);
    return Int32Array.from(idx);
  });
  return { groups, rec, nz };
}

/**
 * Adds the unit records of one item, class by class, into dst at `at(slot)`: each record a sum of the table
 * basis's records scaled by the item's sums. The slots are the classes (0 = replicated, 1..W = gpu, W+1 =
 * host) or, with `collapse`, three: replicated, host, and the sum over GPUs of "sharded on g" (tierRecords).
 * An item whose sums are not in the span of its table's basis (per-worker mass, or unequal S_w within a
 * group) gets each class's record whole from unitLoads. Bases are shared by tables addRangeLoads cannot tell
 * apart (basisKey), within one returned function.
 */
function itemRecords(scenario: Scenario, coalesce: boolean, R: number, collapse = false) {
  const W = scenario.gpus.length;
  const classes = classList(W);
  const H = hostClass(W);
  const nSlots = collapse ? 3 : classes.length;
  const slotOf = (c: number) => (!collapse ? c : c === REP ? 0 : c === H ? 1 : 2);
  const byKey = new Map<string, TableBasis>();
  const bases = new Map<number, TableBasis>();
  const make = (t: number) => {
    const b = tableBasis(scenario, t, coalesce, R);
    return collapse ? collapsedBasis(b, W, R) : b;
  };
  const coef: number[] = [];
  const own = new Float64Array(R);
  return (item: Bucket, dst: Float64Array, at: (slot: number) => number): void => {
    const s = item.sums;
    let b = bases.get(item.table);
    if (!b) {
      const key = basisKey(scenario, item.table);
      b = byKey.get(key);
      if (!b) byKey.set(key, (b = make(item.table)));
      bases.set(item.table, b);
    }
    const J = 3 + b.groups.length;
    // the basis applies when every worker of a group has the group's S_w
    let linear = !s.massPerWorker;
    for (const g of b.groups) for (const w of g) if (s.touchedPerWorker[w] !== s.touchedPerWorker[g[0]!]) linear = false;
    if (!linear) {
      // (collapsed, the GPUs' records all add into the sum's slot)
      classes.forEach((cls, c) => {
        if (W === 1 && c === gpuClass(0)) return;
        own.fill(0);
        writeRecord(own, 0, scenario, unitLoads(scenario, item, cls, coalesce, true));
        const q = at(slotOf(c));
        for (let x = 0; x < R; x++) dst[q + x]! += own[x]!;
      });
      return;
    }
    const inv = 1 / item.rows;
    coef.length = 0;
    coef.push(s.rows * inv, s.mass * inv, s.touchedGlobal * inv);
    for (const g of b.groups) coef.push(s.touchedPerWorker[g[0]!]! * inv);
    for (let c = 0; c < nSlots; c++) {
      if (!collapse && W === 1 && c === gpuClass(0)) continue;
      const q = at(c);
      for (let j = 0; j < J; j++) {
        const a = coef[j]!;
        if (a === 0) continue;
        const r = (c * J + j) * R;
        const nz = b.nz[c * J + j]!;
        for (let x = 0; x < nz.length; x++) dst[q + nz[x]!]! += a * b.rec[r + nz[x]!]!;
      }
    }
  };
}

/**
 * A table basis reduced to three classes, in this order: replicated, host, and the sum over GPUs g of
 * "sharded on g", what tierRecords keeps: one pass over the GPUs per basis instead
 * of one per item. With one GPU the sharded class is never used (its sum is left zero).
 */
function collapsedBasis(b: TableBasis, W: number, R: number): TableBasis {
  const J = 3 + b.groups.length;
  const rec = new Float64Array(3 * J * R);
  for (let j = 0; j < J; j++) {
    rec.set(b.rec.subarray((REP * J + j) * R, (REP * J + j + 1) * R), (0 * J + j) * R);
    rec.set(b.rec.subarray((hostClass(W) * J + j) * R, (hostClass(W) * J + j + 1) * R), (1 * J + j) * R);
    if (W > 1)
      for (let g = 0; g < W; g++) {
        const from = (gpuClass(g) * J + j) * R;
        for (let e = 0; e < R; e++) rec[(2 * J + j) * R + e]! += b.rec[from + e]!;
      }
  }
  const nz = Array.from({ length: 3 * J }, (_, cj) => {
    const idx: number[] = [];
    for (let e = 0; e < R; e++) if (rec[cj * R + e] !== 0) idx.push(e);
    return Int32Array.from(idx);
  });
  return { groups: b.groups, rec, nz };
}

/**
 * Per item, three unit records (length 5W + 3 each, fastOffsets): replicated, host, and the sum over GPUs g
 * of "sharded on g" (what greedy's tier costs read: proofs/greedy.md §2), at rec[(3 i + k) R]. The memory is
 * 3R per item instead of fastLoads's (W + 2) R, so the tier step can see many more buckets.
 */
export function tierRecords(scenario: Scenario, items: Bucket[], coalesce: boolean): { R: number; rec: Float64Array } {
  const W = scenario.gpus.length;
  const R = 5 * W + 3;
  const rec = new Float64Array(items.length * 3 * R);
  const records = itemRecords(scenario, coalesce, R, true);
  items.forEach((item, i) => records(item, rec, (slot) => (3 * i + slot) * R));
  return { R, rec };
}

/** What memory-only decisions read of items (greedy's tier step too): W, bytes per row, rows, GPU capacities. */
export function itemShape(scenario: Scenario, items: Bucket[]): Pick<FastLoads, 'W' | 'mem' | 'rows' | 'caps'> {
  return {
    W: scenario.gpus.length,
    mem: Float64Array.from(items, (it) => scenario.tables[it.table]!.rowBytes + scenario.tables[it.table]!.optimizerBytesPerRow),
    rows: Float64Array.from(items, (it) => it.rows),
    caps: Float64Array.from(scenario.gpus, (_, g) => gpuEmbeddingCapacityBytes(scenario, g)),
  };
}

/**
 * The fast loads of `items`. `previous` (the fast loads of other items of the same scenario and coalescing)
 * lends the records of the items both lists share (the same objects), so a refinement costs only its new items.
 */
export function fastLoads(scenario: Scenario, items: Bucket[], coalesce: boolean, previous?: { items: Bucket[]; fast: FastLoads }): FastLoads {
  const W = scenario.gpus.length;
  const classes = classList(W);
  const nC = classes.length;
  const H = hostClass(W);
  const n = items.length;
  const R = 5 * W + 3;
  const O = fastOffsets(W);
  const unit = new Float64Array(n * nC * R);
  const { mem, rows, caps } = itemShape(scenario, items);
  const lent = new Map<Bucket, number>();
  previous?.items.forEach((item, i) => lent.set(item, i));
  const records = itemRecords(scenario, coalesce, R);
  items.forEach((item, i) => {
    const p = lent.get(item);
    if (p !== undefined) {
      unit.set(previous!.fast.unit.subarray(p * nC * R, (p + 1) * nC * R), i * nC * R);
      return;
    }
    records(item, unit, (c) => (i * nC + c) * R);
  });
  const hostCap = scenario.host.memoryBytes;
  const compute = Float64Array.from(scenario.gpus, (_, w) => {
    const { denseSec, dedupSec } = computeSeconds(scenario, w, coalesce);
    return denseSec + dedupSec;
  });
  const lat = scenario.links.latencySec;
  const serial = scenario.training.overlap === 'serial';
  const rowsAt = (c: number) => O.rows + (c === REP ? 0 : c === H ? 2 : W === 1 ? 0 : 1);
  const gpuTimeWith = (st: FastState, w: number, i: number, c: number, k: number): number => {
    const q = (i * nC + c) * R;
    const r = rowsAt(c);
    const repOn = st[O.rows]! + (r === O.rows ? k : 0) > 0.5;
    const shOn = st[O.rows + 1]! + (r === O.rows + 1 ? k : 0) > 0.5;
    const hostOn = st[O.rows + 2]! + (r === O.rows + 2 ? k : 0) > 0.5;
    const arSec = W > 1 && repOn ? st[O.ar]! + k * unit[q + O.ar]! + 2 * (W - 1) * lat : 0;
    const a2a = shOn ? 2 * Math.max(st[O.ain + w]! + k * unit[q + O.ain + w]!, st[O.aout + w]! + k * unit[q + O.aout + w]!) + 2 * lat : 0;
    const hl = hostOn ? st[O.link + w]! + k * unit[q + O.link + w]! + 2 * lat : 0;
    const g = st[O.gather + w]! + k * unit[q + O.gather + w]!;
    const dram = st[O.dram]! + k * unit[q + O.dram]!;
    return serial ? compute[w]! + g + a2a + hl + arSec + dram : Math.max(compute[w]!, g, a2a, hl, arSec, dram);
  };
  const gpuTime = (st: FastState, w: number): number => {
    // iterationTerms + combineTerms (src/model/loads.ts), over the aggregated seconds
    const arSec = W > 1 && st[O.rows]! > 0.5 ? st[O.ar]! + 2 * (W - 1) * lat : 0;
    const a2a = st[O.rows + 1]! > 0.5 ? 2 * Math.max(st[O.ain + w]!, st[O.aout + w]!) + 2 * lat : 0;
    const hl = st[O.rows + 2]! > 0.5 ? st[O.link + w]! + 2 * lat : 0;
    const g = st[O.gather + w]!;
    return serial ? compute[w]! + g + a2a + hl + arSec + st[O.dram]! : Math.max(compute[w]!, g, a2a, hl, arSec, st[O.dram]!);
  };
  const freeBytes = (st: FastState, c: number): number => {
    if (c === H) return Math.max(0, hostCap - st[O.hmem]!);
    if (c === REP) {
      let free = Infinity;
      for (let w = 0; w < W; w++) free = Math.min(free, caps[w]! - st[O.gmem + w]!);
      return Math.max(0, free);
    }
    return Math.max(0, caps[c - 1]! - st[O.gmem + c - 1]!);
  };
  const tieBreak = (st: FastState, times: Float64Array): number => {
    let sq = 0;
    for (let w = 0; w < W; w++) {
      const t = gpuTime(st, w);
      times[w] = t;
      if (serial) sq += t * t;
      else {
        const arSec = W > 1 && st[O.rows]! > 0.5 ? st[O.ar]! + 2 * (W - 1) * lat : 0;
        const a2a = st[O.rows + 1]! > 0.5 ? 2 * Math.max(st[O.ain + w]!, st[O.aout + w]!) + 2 * lat : 0;
        const hl = st[O.rows + 2]! > 0.5 ? st[O.link + w]! + 2 * lat : 0;
        const g = st[O.gather + w]!;
        sq += g * g + a2a * a2a + hl * hl + arSec * arSec + st[O.dram]! * st[O.dram]!;
      }
    }
    return sq;
  };
  const add = (st: FastState, i: number, c: number, k: number) => {
    const q = (i * nC + c) * R;
    for (let e = 0; e < R; e++) st[e]! += k * unit[q + e]!;
    st[rowsAt(c)]! += k;
  };
  const self: FastLoads = {
    W,
    H,
    nC,
    R,
    mem,
    rows,
    unit,
    overlap: scenario.training.overlap,
    caps,
    hostCap,
    state(counts) {
      const st = new Float64Array(R + 3);
      counts.forEach((row, i) => row.forEach((k, c) => k > 0 && add(st, i, c, k)));
      return st;
    },
    add,
    move(st, i, from, to, k) {
      add(st, i, from, -k);
      add(st, i, to, k);
    },
    fits(st) {
      for (let w = 0; w < W; w++) if (st[O.gmem + w]! > caps[w]! * (1 + 1e-12)) return false;
      return st[O.hmem]! <= hostCap * (1 + 1e-12);
    },
    gpuTime,
    gpuTimeWith,
    makespan(st) {
      let worst = 0;
      for (let w = 0; w < W; w++) worst = Math.max(worst, gpuTime(st, w));
      return worst;
    },
    score(st) {
      let worst = 0;
      let sum = 0;
      for (let w = 0; w < W; w++) {
        const t = gpuTime(st, w);
        worst = Math.max(worst, t);
        sum += t;
      }
      return [worst, sum];
    },
    tieBreak,
    room(st, i, to) {
      return Math.floor(freeBytes(st, to) / mem[i]!);
    },
    freeBytes,
    meanLinear(i, c) {
      const q = (i * nC + c) * R;
      let sum = 0;
      for (let w = 0; w < W; w++) sum += unit[q + O.gather + w]! + 2 * Math.max(unit[q + O.ain + w]!, unit[q + O.aout + w]!) + unit[q + O.link + w]! + unit[q + O.ar]! + unit[q + O.dram]!;
      return sum / W;
    },
  };
  return self;
}
