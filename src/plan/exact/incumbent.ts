/**
 * Integer points of the bucketed model (incumbents): rounding folded LP points, repairing memory, polishing
 * by LPs with the small items held, a heuristic's plan as counts (proofs/placement-bounds.md §3). Every
 * point's objective is computed exactly (pointOf); where it came from never affects a bound.
 */
import { InfeasibleError } from '../../errors.js';
import { lpRelaxation } from '../../mip/model.js';
import { relativeGap } from '../../mip/result.js';
import { solve } from '../../mip/solve.js';
import { gpuEmbeddingCapacityBytes, resourceSeconds } from '../../model/loads.js';
import type { CheckedPlan } from '../../model/plan.js';
import type { Scenario } from '../../model/scenario.js';
import { cacheGreedyPlan, greedyPlan, tablewiseGreedyPlan } from '../algorithms.js';
import type { Bucket } from '../buckets.js';
import { bucketedLoads, classList, gpuClass, hostClass, makespanSec, REP, unitLoads } from '../classes.js';
import { buildPlacementModel, gpuKey, TIME_UNIT_SEC, type FoldedLp, type PlacementModel, type PlanSpace } from '../mipModel.js';
import { better, EXACT_RELATIVE_GAP, lpInWorker, secondsLeft, type ExactOptions, type Incumbent, type Relaxed } from './types.js';

/**
 * Integer row counts from a relaxed solution: per item, every class keeps the floor of its value and the
 * leftover rows go one by one to the classes with the largest fractional parts (a whole-table item goes to
 * its largest value). Rows are conserved per item; memory is checked by the caller.
 */
export function roundCounts(pm: PlacementModel, scenario: Scenario, values: Record<string, number>): number[][] {
  const classes = classList(scenario.gpus.length);
  return pm.items.map((item, i) => {
    const v = classes.map((_, c) => {
      const name = pm.varOf(i, c);
      return name === undefined ? -1 : Math.max(0, values[name] ?? 0);
    });
    const row = classes.map(() => 0);
    if (pm.rowsPerUnit(i) > 1 || pm.space === 'tablewise') {
      let best = hostClass(scenario.gpus.length);
      v.forEach((x, c) => {
        if (x > v[best]!) best = c;
      });
      row[best] = item.rows;
      return row;
    }
    v.forEach((x, c) => (row[c] = x < 0 ? 0 : Math.floor(x + 1e-9)));
    let left = item.rows - row.reduce((a, x) => a + x, 0);
    const order = v
      .map((x, c) => ({ c, frac: x < 0 ? -1 : x - row[c]! }))
      .filter((o) => o.frac >= 0)
      .sort((a, b) => b.frac - a.frac || a.c - b.c);
    for (let k = 0; left > 0; k = (k + 1) % order.length, left--) row[order[k]!.c]! += 1;
    for (let k = order.length - 1; left < 0; k = (k + order.length - 1) % order.length) {
      const c = order[k]!.c;
      if (row[c]! > 0) {
        row[c]! -= 1;
        left++;
      }
    }
    return row;
  });
}

/** Bucketed iteration time (microseconds: the MIP objective at that point) and memory fit of counts. */
export function pointOf(scenario: Scenario, items: Bucket[], counts: number[][], coalesce: boolean, lower = false): { fits: boolean; objective: number } {
  const loads = bucketedLoads(scenario, items, counts, coalesce, lower);
  const fits =
    loads.gpuMemoryBytes.every((b, g) => b <= gpuEmbeddingCapacityBytes(scenario, g) * (1 + 1e-12)) && loads.hostMemoryBytes <= scenario.host.memoryBytes * (1 + 1e-12);
  return { fits, objective: makespanSec(scenario, loads, coalesce) / TIME_UNIT_SEC };
}

/**
 * Integer counts from a folded LP point (proofs/placement-bounds.md §3; any integer point that fits memory is
 * a plan of the MIP, and its objective is evaluated exactly, so this is a heuristic for the incumbent only):
 * 1. per item, the LP's rows of each class (replicated, each orbit's total, host) are rounded to integers
 *    summing to the item's rows by largest remainders;
 * 2. an orbit's rows are spread evenly over its GPUs, the leftover rows (fewer than the orbit's GPUs) to the
 *    GPUs with the least leftover load so far, items taken hottest first (longest processing time first);
 * 3. a GPU over its memory gives rows to the host, coldest first; a host over its memory gives rows to GPUs
 *    with room. Null when that fails.
 */
export function roundFolded(scenario: Scenario, items: Bucket[], fl: FoldedLp, values: Record<string, number>, coalesce: boolean, lower = false): number[][] | null {
  const W = scenario.gpus.length;
  const H = hostClass(W);
  const { members } = fl.orbits;
  const fr = fl.fractions(values);
  const weight = rowWeights(scenario, items, coalesce, lower);
  const counts = items.map(() => new Array<number>(W + 2).fill(0));
  const perOrbit: number[][] = items.map(() => members.map(() => 0));
  items.forEach((it, i) => {
    const f = fr[i]!;
    const slots = [f.rep * it.rows, ...members.map((m, o) => m.length * f.orbit[o]! * it.rows), f.host * it.rows];
    const ints = slots.map((x) => Math.max(0, Math.floor(x + 1e-9)));
    let left = it.rows - ints.reduce((a, x) => a + x, 0);
    const order = slots.map((x, k) => ({ k, frac: x - ints[k]! })).filter((o) => slots[o.k]! > 0).sort((a, b) => b.frac - a.frac || a.k - b.k);
    if (!order.length) order.push({ k: slots.length - 1, frac: 0 });
    for (let j = 0; left > 0; j = (j + 1) % order.length, left--) ints[order[j]!.k]! += 1;
    // floors plus the 1e-9 slack can pass the rows by one: take it back from the largest slot
    while (left < 0) {
      const k = ints.indexOf(Math.max(...ints));
      ints[k]! -= 1;
      left++;
    }
    counts[i]![REP] = ints[0]!;
    members.forEach((_, o) => (perOrbit[i]![o] = ints[1 + o]!));
    counts[i]![H] = ints[ints.length - 1]!;
  });
  // Spread each orbit's rows over its GPUs; leftovers by longest processing time first.
  const extra = new Float64Array(W);
  const order = items.map((_, i) => i).sort((a, b) => weight[b]! - weight[a]! || a - b);
  for (const i of order) {
    members.forEach((m, o) => {
      const total = perOrbit[i]![o]!;
      if (total === 0) return;
      const base = Math.floor(total / m.length);
      let rest = total - base * m.length;
      for (const g of m) counts[i]![gpuClass(g)]! += base;
      if (rest > 0) {
        const byLoad = [...m].sort((a, b) => extra[a]! - extra[b]! || a - b);
        for (const g of byLoad) {
          if (rest-- <= 0) break;
          counts[i]![gpuClass(g)]! += 1;
          extra[g]! += weight[i]!;
        }
      }
    });
  }
  if (W === 1) {
    // one GPU: its class is the replicated one
    counts.forEach((row) => {
      row[REP]! += row[gpuClass(0)]!;
      row[gpuClass(0)] = 0;
    });
  }
  return repairMemory(scenario, items, counts, weight) ? counts : null;
}

/** Per-row weight of each item: seconds one row adds on the GPU that holds it (gathers, sends), by resourceSeconds. */
export function rowWeights(scenario: Scenario, items: Bucket[], coalesce: boolean, lower = false): number[] {
  return items.map((it) => {
    const sec = resourceSeconds(scenario, unitLoads(scenario, it, { at: 'gpu', gpu: 0 }, coalesce, true, lower ? it.lowerSums : it.sums));
    return sec.gatherSec[0]! + 2 * sec.allToAllOutSec[0]!;
  });
}

/**
 * Make integer counts fit memory (in place): a GPU over its capacity sends rows to the host, coldest items
 * first (its own sharded rows, then replicated rows, which free every GPU); a host over its capacity sends
 * rows to GPUs with room, hottest first. False when that does not make them fit. Counts from a solver can be
 * a few rows over (its feasibility tolerance); counts from rounding, a few rows per item.
 */
export function repairMemory(scenario: Scenario, items: Bucket[], counts: number[][], weight: number[]): boolean {
  const W = scenario.gpus.length;
  const H = hostClass(W);
  const bytes = items.map((it) => scenario.tables[it.table]!.rowBytes + scenario.tables[it.table]!.optimizerBytesPerRow);
  const cap = scenario.gpus.map((_, g) => gpuEmbeddingCapacityBytes(scenario, g));
  const mem = scenario.gpus.map((_, g) => counts.reduce((s, row, i) => s + (row[REP]! + (W > 1 ? row[gpuClass(g)]! : 0)) * bytes[i]!, 0));
  const cold = items.map((_, i) => i).sort((a, b) => weight[a]! - weight[b]! || b - a);
  for (let g = 0; g < W; g++) {
    for (const c of W > 1 ? [gpuClass(g), REP] : [REP]) {
      for (const i of cold) {
        const over = mem[g]! - cap[g]!;
        if (over <= 0) break;
        const n = Math.min(counts[i]![c]!, Math.ceil(over / bytes[i]!));
        if (n <= 0) continue;
        counts[i]![c]! -= n;
        counts[i]![H]! += n;
        // a replicated row frees every GPU
        if (c === REP) for (let w = 0; w < W; w++) mem[w]! -= n * bytes[i]!;
        else mem[g]! -= n * bytes[i]!;
      }
    }
    if (mem[g]! > cap[g]!) return false;
  }
  let hostOver = counts.reduce((s, row, i) => s + row[H]! * bytes[i]!, 0) - scenario.host.memoryBytes;
  if (hostOver > 0 && W > 1) {
    for (const i of [...cold].reverse()) {
      for (let g = 0; g < W && hostOver > 0; g++) {
        const room = Math.floor((cap[g]! - mem[g]!) / bytes[i]!);
        const n = Math.min(counts[i]![H]!, room, Math.ceil(hostOver / bytes[i]!));
        if (n <= 0) continue;
        counts[i]![H]! -= n;
        counts[i]![gpuClass(g)]! += n;
        mem[g]! += n * bytes[i]!;
        hostOver -= n * bytes[i]!;
      }
      if (hostOver <= 0) break;
    }
  }
  return hostOver <= 0;
}

/**
 * Counts per model item and class of any plan (rows of each range counted in the bucket that holds them):
 * an integer point of the bucketed MIP whenever the plan fits memory (the MIP does not order rows inside
 * a bucket). Used to turn a heuristic plan into an incumbent of the model.
 */
export function countsFromPlan(scenario: Scenario, items: Bucket[], plan: CheckedPlan): number[][] {
  const W = scenario.gpus.length;
  return items.map((item) => {
    const row = new Array<number>(W + 2).fill(0);
    for (const r of plan.tables[scenario.tables[item.table]!.name] ?? []) {
      const n = Math.min(r.to, item.to) - Math.max(r.from, item.from);
      if (n <= 0) continue;
      const c = r.at === 'replicated' ? REP : r.at === 'host' ? hostClass(W) : 1 + (r.gpu ?? 0);
      row[W === 1 && c === 1 ? REP : c]! += n;
    }
    return row;
  });
}

/**
 * Rows per GPU below which `polish` holds items at their rounded counts, one LP per entry: first the small
 * items, then the medium ones at the counts the previous LP rounded them to.
 */
export const POLISH_HELD_ROWS_PER_GPU = [64, 2048, 65536];

/**
 * Polish a rounded point (a heuristic for the incumbent; proofs/placement-bounds.md §3): hold the small items
 * (whose rounding moves whole hot rows between GPUs) at their rounded counts, solve the LP relaxation of the
 * pattern's full model over the other items (one variable per GPU: their rows rebalance what the small items'
 * rounding unbalanced), round that, and repeat with the medium items held too; each round leaves only larger,
 * colder items to round. Stops at the requested gap or the time limit; the best point found is returned.
 */
export async function polish(s: Scenario, items: Bucket[], space: PlanSpace, coalesce: boolean, lower: boolean, inc: Incumbent, lpBound: number, opts: ExactOptions, deadline: number): Promise<Incumbent> {
  const W = s.gpus.length;
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  const building = { stage: 'polishing the rounded LP plan (building the model)' };
  const pm = buildPlacementModel(s, items, { space, coalesce, lower, usage: inc.usage, ...(opts.onProgress ? { heartbeat: () => opts.onProgress!(building) } : {}) });
  // heartbeats between the synchronous steps (building the model takes ~1.5 s on 128 GPUs)
  opts.onProgress?.({ stage: 'polishing the rounded LP plan (model built)' });
  const relaxed = lpRelaxation(pm.model);
  const weights = rowWeights(s, items, coalesce, lower);
  opts.onProgress?.({ stage: 'polishing the rounded LP plan (LPs with rows held)' });
  let best = inc;
  let counts = inc.counts;
  for (const perGpu of POLISH_HELD_ROWS_PER_GPU) {
    const left = secondsLeft(deadline);
    if ((left !== undefined && left < 0.05) || relativeGap(best.objective, Math.min(best.objective, lpBound))! <= tol) break;
    const held = new Map<string, number>();
    items.forEach((it, i) => {
      if (it.rows > perGpu * W) return;
      counts[i]!.forEach((n, c) => {
        const v = pm.varOf(i, c);
        if (v) held.set(v, n);
      });
    });
    const model = { ...relaxed, variables: relaxed.variables.map((v) => (held.has(v.name) ? { ...v, lower: held.get(v.name)!, upper: held.get(v.name)! } : v)) };
    // with progress drawn, a large LP runs in a worker so the terminal keeps drawing (seconds each on 128 GPUs)
    const r = await solve(model, { solver: opts.solver ?? 'glpk', timeLimitSec: left === undefined ? undefined : Math.max(left, 0.05), worker: lpInWorker(opts, model) });
    if (r.status !== 'optimal') break;
    // heartbeats between the synchronous steps after each LP (each can take a second on 128 GPUs)
    const beat = (what: string) => opts.onProgress?.({ stage: `polishing the rounded LP plan (${what}, ${perGpu} rows per GPU held)` });
    beat('rounding');
    const next = roundCounts(pm, s, r.values);
    beat('repairing memory');
    if (!repairMemory(s, items, next, weights)) break;
    beat('costing');
    const pt = pointOf(s, items, next, coalesce, lower);
    beat('costed');
    if (!pt.fits) break;
    counts = next;
    best = better(best, { counts, objective: pt.objective, method: 'lp-rounding', usage: inc.usage })!;
  }
  return best;
}

/** The heuristic of the plan space as an integer point of the model, with its objective (microseconds). */
export function heuristicPoint(r: Relaxed, opts: ExactOptions): Incumbent | undefined {
  const { s, items } = r;
  let plan: CheckedPlan;
  try {
    if (r.space === 'tablewise') plan = tablewiseGreedyPlan(s);
    else if (r.space === 'cache') plan = cacheGreedyPlan(s).plan;
    else plan = greedyPlan(s, { bucketCache: opts.bucketCache });
  } catch (e) {
    if (e instanceof InfeasibleError) return undefined;
    throw e;
  }
  // the counts are a point of the model whichever coalescing the heuristic assumed; the plan takes the choice's
  if (plan.coalesce !== r.coalesce) plan = { ...plan, coalesce: r.coalesce };
  const counts = countsFromPlan(s, items, plan);
  if (r.space === 'tablewise' && counts.some((row, i) => !row.some((x) => x === items[i]!.rows))) return undefined;
  const pt = pointOf(s, items, counts, r.coalesce);
  return pt.fits ? { counts, objective: pt.objective, method: 'heuristic-incumbent', plan } : undefined;
}

/**
 * The same point with interchangeable GPUs (every parameter equal, same node: the runs that the model's
 * symmetry-breaking rows order) permuted so their memory is non-increasing, as those rows require. Permuting
 * interchangeable GPUs changes no GPU's load profile, only which GPU carries it: the objective is the same.
 */
export function symmetryOrdered(scenario: Scenario, items: Bucket[], counts: number[][]): number[][] {
  const W = scenario.gpus.length;
  const key = (g: number) => `${gpuKey(scenario, g)}|${scenario.gpus[g]!.node}`;
  const bytes = items.map((it) => scenario.tables[it.table]!.rowBytes + scenario.tables[it.table]!.optimizerBytesPerRow);
  const mem = (g: number) => counts.reduce((s, row, i) => s + row[gpuClass(g)]! * bytes[i]!, 0);
  const out = counts.map((row) => [...row]);
  for (let a = 0; a < W; ) {
    let b = a + 1;
    while (b < W && key(b) === key(a)) b++;
    const run = Array.from({ length: b - a }, (_, k) => a + k);
    const sorted = [...run].sort((x, y) => mem(y) - mem(x) || x - y);
    run.forEach((g, k) => counts.forEach((row, i) => (out[i]![gpuClass(g)] = row[gpuClass(sorted[k]!)]!)));
    a = b;
  }
  return out;
}

/** Values of the pattern model's integer variables at a point (a MIP start). */
export function startValues(pm: PlacementModel, counts: number[][]): Record<string, number> {
  const out: Record<string, number> = {};
  pm.items.forEach((_, i) =>
    counts[i]!.forEach((n, c) => {
      const v = pm.varOf(i, c);
      if (v) out[v] = n / pm.rowsPerUnit(i);
    }),
  );
  return out;
}

