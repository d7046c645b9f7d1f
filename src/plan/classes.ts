import {
  addRangeLoads,
  combineTerms,
  computeSeconds,
  emptyLoads,
  gpuEmbeddingCapacityBytes,
  iterationTerms,
  resourceSeconds,
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
export function makespanSec(scenario: Scenario, loads: Loads, coalesce: boolean): number {
  const terms = iterationTerms(scenario, loads, coalesce);
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
 * Aggregated loads as typed arrays of resource seconds, for local search (greedy): the unit seconds of
 * every (item, class) are memoised once (resourceSeconds of unitLoads, the one cost function), a move of
 * k rows adds k times a unit, and the makespan is iterationTerms + combineTerms written over these arrays
 * (test/plan/greedy.test.ts checks it against makespanSec of bucketedLoads).
 */
export interface FastState {
  gather: Float64Array;
  link: Float64Array;
  ain: Float64Array;
  aout: Float64Array;
  gmem: Float64Array;
  /** [allReduceSec, hostDramSec, hostMemoryBytes, rowsReplicated, rowsSharded, rowsHost] */
  s: Float64Array;
}
export interface FastLoads {
  W: number;
  H: number;
  nC: number;
  /** bytes per row of each item (row plus optimizer state) */
  mem: Float64Array;
  state(counts: number[][]): FastState;
  move(st: FastState, i: number, from: number, to: number, k: number): void;
  fits(st: FastState): boolean;
  makespan(st: FastState): number;
  /** [makespan, sum of per-GPU times] */
  score(st: FastState): [number, number];
  /** rows of item i that class `to` still has memory for */
  room(st: FastState, i: number, to: number): number;
  /** mean over GPUs of the linear seconds of one row of item i in class c */
  meanLinear(i: number, c: number): number;
}

export function fastLoads(scenario: Scenario, items: Bucket[], coalesce: boolean): FastLoads {
  const W = scenario.gpus.length;
  const classes = classList(W);
  const nC = classes.length;
  const H = hostClass(W);
  const n = items.length;
  const U = (len: number) => new Float64Array(len);
  const gather = U(n * nC * W), link = U(n * nC * W), ain = U(n * nC * W), aout = U(n * nC * W), gmem = U(n * nC * W), sc = U(n * nC * 3);
  const mem = Float64Array.from(items, (it) => scenario.tables[it.table]!.rowBytes + scenario.tables[it.table]!.optimizerBytesPerRow);
  items.forEach((item, i) => {
    classes.forEach((cls, c) => {
      if (W === 1 && c === gpuClass(0)) return; // never used with one GPU (the replicated class covers it)
      const l = unitLoads(scenario, item, cls, coalesce, true);
      const sec = resourceSeconds(scenario, l);
      const q = (i * nC + c) * W;
      gather.set(sec.gatherSec, q);
      link.set(sec.hostLinkSec, q);
      ain.set(sec.allToAllInSec, q);
      aout.set(sec.allToAllOutSec, q);
      gmem.set(l.gpuMemoryBytes, q);
      sc[(i * nC + c) * 3] = sec.allReduceSec;
      sc[(i * nC + c) * 3 + 1] = sec.hostDramSec;
      sc[(i * nC + c) * 3 + 2] = l.hostMemoryBytes;
    });
  });
  const caps = Float64Array.from(scenario.gpus, (_, g) => gpuEmbeddingCapacityBytes(scenario, g));
  const hostCap = scenario.host.memoryBytes;
  const compute = Float64Array.from(scenario.gpus, (_, w) => {
    const { denseSec, dedupSec } = computeSeconds(scenario, w, coalesce);
    return denseSec + dedupSec;
  });
  const lat = scenario.links.latencySec;
  const serial = scenario.training.overlap === 'serial';
  const kind = (c: number) => (c === REP ? 3 : c === H ? 5 : W === 1 ? 3 : 4);
  const add = (st: FastState, i: number, c: number, k: number) => {
    const q = (i * nC + c) * W;
    for (let w = 0; w < W; w++) {
      st.gather[w]! += k * gather[q + w]!;
      st.link[w]! += k * link[q + w]!;
      st.ain[w]! += k * ain[q + w]!;
      st.aout[w]! += k * aout[q + w]!;
      st.gmem[w]! += k * gmem[q + w]!;
    }
    const r = (i * nC + c) * 3;
    st.s[0]! += k * sc[r]!;
    st.s[1]! += k * sc[r + 1]!;
    st.s[2]! += k * sc[r + 2]!;
    st.s[kind(c)]! += k;
  };
  const empty = (): FastState => ({ gather: U(W), link: U(W), ain: U(W), aout: U(W), gmem: U(W), s: U(6) });
  const perGpu = (st: FastState, w: number): number => {
    // iterationTerms + combineTerms (src/model/loads.ts), over the aggregated seconds
    const arSec = W > 1 && st.s[3]! > 0.5 ? st.s[0]! + 2 * (W - 1) * lat : 0;
    const a2a = st.s[4]! > 0.5 ? 2 * Math.max(st.ain[w]!, st.aout[w]!) + 2 * lat : 0;
    const hl = st.s[5]! > 0.5 ? st.link[w]! + 2 * lat : 0;
    return serial ? compute[w]! + st.gather[w]! + a2a + hl + arSec + st.s[1]! : Math.max(compute[w]!, st.gather[w]!, a2a, hl, arSec, st.s[1]!);
  };
  const self: FastLoads = {
    W,
    H,
    nC,
    mem,
    state(counts) {
      const st = empty();
      counts.forEach((row, i) => row.forEach((k, c) => k > 0 && add(st, i, c, k)));
      return st;
    },
    move(st, i, from, to, k) {
      add(st, i, from, -k);
      add(st, i, to, k);
    },
    fits(st) {
      for (let w = 0; w < W; w++) if (st.gmem[w]! > caps[w]! * (1 + 1e-12)) return false;
      return st.s[2]! <= hostCap * (1 + 1e-12);
    },
    makespan(st) {
      let worst = 0;
      for (let w = 0; w < W; w++) worst = Math.max(worst, perGpu(st, w));
      return worst;
    },
    score(st) {
      let worst = 0;
      let sum = 0;
      for (let w = 0; w < W; w++) {
        const t = perGpu(st, w);
        worst = Math.max(worst, t);
        sum += t;
      }
      return [worst, sum];
    },
    room(st, i, to) {
      if (to === H) return Math.floor(Math.max(0, hostCap - st.s[2]!) / mem[i]!);
      if (to === REP) {
        let free = Infinity;
        for (let w = 0; w < W; w++) free = Math.min(free, caps[w]! - st.gmem[w]!);
        return Math.floor(Math.max(0, free) / mem[i]!);
      }
      const g = to - 1;
      return Math.floor(Math.max(0, caps[g]! - st.gmem[g]!) / mem[i]!);
    },
    meanLinear(i, c) {
      const q = (i * nC + c) * W;
      const r = (i * nC + c) * 3;
      let sum = 0;
      for (let w = 0; w < W; w++) sum += gather[q + w]! + 2 * Math.max(ain[q + w]!, aout[q + w]!) + link[q + w]! + sc[r]! + sc[r + 1]!;
      return sum / W;
    },
  };
  return self;
}
