/**
 * Rebalance: a row-level polish of a plan's sharded rows (proofs/rebalance.md). The bucketed searches balance
 * the GPUs on bucket means; at row level a bucket split over several GPUs gives its first GPU the hottest rows,
 * and whole hot buckets go to one GPU, so a few GPUs end a few percent above the rest (greedy on gen-T500-W64:
 * the busiest GPU 2.4% above the mean, the median GPU 0.2% below it). This pass moves the hottest rows of the
 * busiest GPU's shards to the least busy GPUs, in exchange for as many cold rows as their memory needs, while
 * that lowers the busiest GPU without raising any other above it. Every step is costed by the cost model's own
 * loads (addRangeLoads, iterationTerms: the terms evaluate sums), and the result is evaluated afresh: the
 * better of the input and the rebalanced plan by `evaluate` is returned, so the pass never makes a plan worse.
 */
import { evaluate, expectedRangeSums, planLoads, type Evaluation } from '../model/evaluate.js';
import { addRangeLoads, combineTerms, computeSecondsAll, gpuEmbeddingCapacityBytes, iterationTerms, type Loads, type RangeSums } from '../model/loads.js';
import type { CheckedPlan } from '../model/plan.js';
import type { PlanRange } from '../model/schema.js';
import type { Scenario, Table } from '../model/scenario.js';

export interface RebalanceOptions {
  /** moves at most (default REBALANCE_MAX_MOVES) */
  maxMoves?: number;
  /** least busy GPUs tried as the receiver of each move (default 3) */
  partners?: number;
  /** hottest shards of the busiest GPU tried per move (default 8) */
  hotRanges?: number;
}

/**
 * A plan whose busiest GPU is within this share of the mean GPU time is returned as it is (greedy screens its
 * plan by the same share of its search's own GPU times, before any evaluate): on Criteo Terabyte (8 GPUs,
 * greedy's plan 3.4e-5 above the mean) the pass made 3 moves for 0.003% in 67 ms, which took greedy from 36 ms
 * to 105 ms. The pass moves load between GPUs; the GPUs' mean is about what it can reach.
 */
export const REBALANCE_BALANCED = 1e-4;

/** Moves per call: each costs tens of candidate evaluations (gen-T500-W64: see proofs/rebalance.md). */
export const REBALANCE_MAX_MOVES = 256;

interface Shard {
  table: number;
  /** index of the range in its table's list */
  index: number;
}

const cloneLoads = (l: Loads): Loads => {
  const out = { ...l } as Loads;
  for (const key of Object.keys(l) as (keyof Loads)[]) {
    const v = l[key];
    if (v instanceof Float64Array) (out[key] as Float64Array) = v.slice();
  }
  return out;
};

/**
 * The plan with sharded rows moved between GPUs to lower its makespan, its evaluation and the moves made;
 * the input plan itself when it is on one GPU, infeasible, or no move lowers its evaluated makespan. Pure.
 */
export function rebalanceShards(scenario: Scenario, plan: CheckedPlan, opts: RebalanceOptions = {}): { plan: CheckedPlan; evaluation: Evaluation; moves: number } {
  const W = scenario.gpus.length;
  const before = evaluate(scenario, plan);
  if (W === 1 || !before.feasible) return { plan, evaluation: before, moves: 0 };
  // already balanced: the busiest GPU within REBALANCE_BALANCED of the mean GPU time
  const meanSec = before.gpus.reduce((a, g) => a + g.iterationSec, 0) / W;
  if (before.iterationSec <= meanSec * (1 + REBALANCE_BALANCED)) return { plan, evaluation: before, moves: 0 };
  const coalesce = plan.coalesce;
  const overlap = scenario.training.overlap;
  const maxMoves = opts.maxMoves ?? REBALANCE_MAX_MOVES;
  const P = Math.min(W - 1, opts.partners ?? 3);
  const H = opts.hotRanges ?? 8;
  const compute = computeSecondsAll(scenario, coalesce);
  const capacity = Float64Array.from(scenario.gpus, (_, g) => gpuEmbeddingCapacityBytes(scenario, g));
  const times = (l: Loads) => iterationTerms(scenario, l, coalesce, compute).map((t) => combineTerms(t, overlap));
  const ranges: PlanRange[][] = scenario.tables.map((t) => (plan.tables[t.name] ?? []).map((r) => ({ ...r })));
  const sumsCache = new Map<string, RangeSums>();
  const sums = (t: Table, a: number, b: number) => {
    const key = `${t.index}:${a}:${b}`;
    let s = sumsCache.get(key);
    if (!s) sumsCache.set(key, (s = expectedRangeSums(scenario, t, a, b)));
    return s;
  };
  const stateBytes = (t: Table) => t.rowBytes + t.optimizerBytesPerRow;
  // traffic per byte of memory of a range's rows: rows moved to the other workers, times row bytes
  const heatPerByte = (t: Table, a: number, b: number) => {
    const s = sums(t, a, b);
    let moved = 0;
    for (let w = 0; w < W; w++) moved += coalesce ? s.touchedPerWorker[w]! : t.pooling * scenario.gpus[w]!.batchSamples * s.mass;
    return (moved * t.rowBytes) / ((b - a) * stateBytes(t));
  };
  const shardsOn = (g: number): Shard[] => {
    const out: Shard[] = [];
    ranges.forEach((list, table) => list.forEach((r, index) => r.at === 'gpu' && r.gpu === g && out.push({ table, index })));
    return out;
  };
  // rows [a, b) of a table from GPU `from` to GPU `to`, in the loads
  const shift = (l: Loads, t: Table, a: number, b: number, from: number, to: number) => {
    const s = sums(t, a, b);
    addRangeLoads(l, scenario, t, 'gpu', from, s, coalesce, -1);
    addRangeLoads(l, scenario, t, 'gpu', to, s, coalesce, 1);
  };

  const loads = planLoads(scenario, plan);
  let moves = 0;
  for (; moves < maxMoves; moves++) {
    const T = times(loads);
    let g = 0;
    for (let w = 1; w < W; w++) if (T[w]! > T[g]!) g = w;
    const partners = Array.from({ length: W }, (_, w) => w)
      .filter((w) => w !== g)
      .sort((a, b) => T[a]! - T[b]! || a - b)
      .slice(0, P);
    const hot = shardsOn(g)
      .map((sh) => {
        const r = ranges[sh.table]![sh.index]!;
        return { sh, heat: heatPerByte(scenario.tables[sh.table]!, r.from, r.to) };
      })
      .sort((x, y) => y.heat - x.heat)
      .slice(0, H);
    // per partner, its shards coldest first (the tail rows of a range are its coldest)
    const coldOf = new Map<number, Shard[]>();
    for (const h of partners)
      coldOf.set(
        h,
        shardsOn(h)
          .map((sh) => {
            const r = ranges[sh.table]![sh.index]!;
            const t = scenario.tables[sh.table]!;
            return { sh, heat: heatPerByte(t, r.to - 1, r.to) };
          })
          .sort((x, y) => x.heat - y.heat)
          .slice(0, 4)
          .map((x) => x.sh),
      );
    let best: { score: number; apply: () => void } | undefined;
    for (const { sh } of hot) {
      const t = scenario.tables[sh.table]!;
      const r = ranges[sh.table]![sh.index]!;
      const rows = r.to - r.from;
      const sizes = new Set<number>();
      for (let n = rows; n >= 1; n = Math.floor(n / 2)) {
        sizes.add(n);
        if (sizes.size >= 12) break;
      }
      for (const n of sizes) {
        const pieceBytes = n * stateBytes(t);
        for (const h of partners) {
          const trial = cloneLoads(loads);
          shift(trial, t, r.from, r.from + n, g, h);
          // memory on h: cold rows of h's coldest shard come back to g when the piece does not fit
          let swap: { sh: Shard; m: number } | undefined;
          if (trial.gpuMemoryBytes[h]! > capacity[h]!) {
            const need = trial.gpuMemoryBytes[h]! - capacity[h]!;
            for (const c of coldOf.get(h)!) {
              const cr = ranges[c.table]![c.index]!;
              const ct = scenario.tables[c.table]!;
              const m = Math.ceil(need / stateBytes(ct));
              if (m >= cr.to - cr.from) continue; // the shard stays (it keeps its range; no emptied ranges)
              swap = { sh: c, m };
              shift(trial, ct, cr.to - m, cr.to, h, g);
              break;
            }
            if (!swap) continue;
          }
          if (trial.gpuMemoryBytes[g]! > capacity[g]! || trial.gpuMemoryBytes[h]! > capacity[h]!) continue;
          const Tn = times(trial);
          const local = Math.max(Tn[g]!, Tn[h]!);
          if (!(local < T[g]! * (1 - 1e-12))) continue;
          let others = 0;
          for (let w = 0; w < W; w++) if (w !== g && w !== h) others = Math.max(others, Tn[w]!);
          if (others > T[g]!) continue;
          if (best && local >= best.score) continue;
          const move = { table: sh.table, index: sh.index, n, h, swap };
          best = {
            score: local,
            apply: () => {
              shift(loads, t, r.from, r.from + n, g, move.h);
              if (move.swap) {
                const cr = ranges[move.swap.sh.table]![move.swap.sh.index]!;
                shift(loads, scenario.tables[move.swap.sh.table]!, cr.to - move.swap.m, cr.to, move.h, g);
                // the cold tail to g (split first: the piece's split below may shift indices of its own table only)
                splitTail(ranges[move.swap.sh.table]!, move.swap.sh.index, move.swap.m, g);
              }
              splitHead(ranges[move.table]!, ranges[move.table]!.indexOf(r), n, move.h);
            },
          };
          void pieceBytes;
        }
      }
    }
    if (!best) break;
    best.apply();
  }
  if (moves === 0) return { plan, evaluation: before, moves: 0 };
  const tables: Record<string, PlanRange[]> = {};
  scenario.tables.forEach((t, i) => (tables[t.name] = mergeRanges(ranges[i]!)));
  const out: CheckedPlan = { ...plan, tables };
  const after = evaluate(scenario, out);
  return after.feasible && after.iterationSec < before.iterationSec ? { plan: out, evaluation: after, moves } : { plan, evaluation: before, moves: 0 };
}

/** The first n rows of list[i] (a GPU shard) to GPU `to`. */
function splitHead(list: PlanRange[], i: number, n: number, to: number): void {
  const r = list[i]!;
  if (n >= r.to - r.from) {
    r.gpu = to;
    return;
  }
  const head: PlanRange = { ...r, to: r.from + n, gpu: to };
  r.from += n;
  list.splice(i, 0, head);
}

/** The last m rows of list[i] (a GPU shard, longer than m) to GPU `to`. */
function splitTail(list: PlanRange[], i: number, m: number, to: number): void {
  const r = list[i]!;
  const tail: PlanRange = { ...r, from: r.to - m, gpu: to };
  r.to -= m;
  list.splice(i + 1, 0, tail);
}

/** Adjacent ranges of the same class (and GPU) as one. */
function mergeRanges(list: PlanRange[]): PlanRange[] {
  const out: PlanRange[] = [];
  for (const r of list) {
    const last = out[out.length - 1];
    if (last && last.at === r.at && last.gpu === r.gpu && last.to === r.from) last.to = r.to;
    else out.push({ ...r });
  }
  return out;
}
