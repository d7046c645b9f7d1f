import { InfeasibleError, InputError } from '../errors.js';
import { lpRelaxation, ModelBuilder, type Model, type Term } from '../mip/model.js';
import type { SolveProgress, SolveResult, SolverName } from '../mip/result.js';
import { solve } from '../mip/solve.js';
import { evaluate, expectedRangeSums, type Evaluation } from '../model/evaluate.js';
import { addRangeLoads, computeSeconds, emptyLoads, gpuEmbeddingCapacityBytes, resourceSeconds } from '../model/loads.js';
import type { CheckedPlan } from '../model/plan.js';
import type { PlanRange } from '../model/schema.js';
import { withGlobalBatch, type Scenario, type Table } from '../model/scenario.js';
import { tablewiseGreedyPlan } from './algorithms.js';
import { secondsLeft } from './exact/types.js';
import { gpuKey, throughputProgress } from './mipModel.js';
import type { OnWorkProgress } from '../progress.js';

/**
 * The TorchRec plan space (issue 15): per table, only what TorchRec's planner can express, and an exact MIP
 * over those per-table choices (proofs/torchrec-space.md). Names are TorchRec's own:
 * - ShardingType values (torchrec/distributed/types.py, `class ShardingType`): data_parallel, table_wise,
 *   row_wise (column_wise, table_row_wise, table_column_wise and grid_shard are not in this space: scarec's
 *   plans place rows, not columns, so a column split has no cost in the model);
 * - EmbeddingComputeKernel values (torchrec/distributed/embedding_types.py): dense, fused, fused_uvm,
 *   fused_uvm_caching;
 * - CacheParams.load_factor (torchrec/distributed/types.py, `class CacheParams`).
 *
 * How each choice is written as a scarec plan (and so costed by `evaluate`, the one cost function):
 * - data_parallel / dense: the whole table replicated;
 * - table_wise / fused on rank r: the whole table on GPU r;
 * - row_wise / fused: `rowWiseRanges`, every rank an even share of every frequency level (TorchRec splits ids,
 *   not frequency ranks, into blocks of ceil(N/W) rows; with ids unrelated to frequency each block holds an even
 *   share of the hot rows, which is what this layout gives deterministically);
 * - table_wise / fused_uvm: the whole table in host memory (UVM);
 * - table_wise / fused_uvm_caching on rank r with load factor f: the hottest round(f N) rows on GPU r, the rest on
 *   the host (a static top-c cache: the steady state of an ideal LFU cache; TorchRec's LRU/LFU caches approach it).
 */

export type TorchRecShardingType = 'data_parallel' | 'table_wise' | 'row_wise';
export type TorchRecComputeKernel = 'dense' | 'fused' | 'fused_uvm' | 'fused_uvm_caching';

/** One table's choice in TorchRec's terms. */
export interface TorchRecChoice {
  shardingType: TorchRecShardingType;
  computeKernel: TorchRecComputeKernel;
  /** ranks holding the table (all ranks for data_parallel and row_wise); empty for fused_uvm (no GPU holds rows) */
  ranks: number[];
  /** CacheParams.load_factor, only with fused_uvm_caching */
  cacheLoadFactor?: number;
}

/** Cache load factors the space offers (TorchRec's planner default is 0.2: torchrec/distributed/planner/constants.py). */
export const TORCHREC_CACHE_LOAD_FACTORS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.5];

/** Rows of a UVM cache of load factor f on a table of N rows. */
export const cacheRows = (rows: number, loadFactor: number) => Math.round(loadFactor * rows);

/**
 * Row-wise layout: the rank order cut into segments [0, 2W), [2W, 4W), [4W, 8W), ... (at most 32 of them, the last
 * ends at N), each segment cut into 2W even chunks dealt in snake order (ranks 0..W-1, then W-1..0, rotated by j + offset for segment j, offset = the table's index so the tables' small imbalances fall on
 * different ranks), so every rank
 * gets one chunk of the segment's hotter half and the mirror chunk of its colder half: their masses add up to the
 * same sum to first order in the density's slope (proofs/torchrec-space.md §1). Every rank holds floor(N/W) or
 * ceil(N/W) rows (TorchRec's blocks: ceil(N/W) rows, the last rank fewer) and an even share of every frequency level.
 */
export function rowWiseRanges(rows: number, W: number, offset = 0): PlanRange[] {
  if (W === 1) return [{ from: 0, to: rows, at: 'gpu', gpu: 0 }];
  const bounds = [0];
  let len = 2 * W;
  while (bounds.length < 32 && bounds[bounds.length - 1]! + len < rows) {
    bounds.push(bounds[bounds.length - 1]! + len);
    if (bounds.length > 2) len *= 2;
  }
  bounds.push(rows);
  const out: PlanRange[] = [];
  const owner = (c: number) => (c < W ? c : 2 * W - 1 - c);
  const held = new Array<number>(W).fill(0);
  for (let j = 0; j + 1 < bounds.length; j++) {
    const a = bounds[j]!;
    const L = bounds[j + 1]! - a;
    // only the last segment's length is not a multiple of 2W: its chunk sizes keep every rank within one row
    const sizes = new Array<number>(2 * W).fill(Math.floor(L / (2 * W)));
    let extra = L - sizes[0]! * 2 * W;
    for (let c = 0; c < 2 * W && extra > 0; c++) {
      const g = (owner(c) + j + offset) % W;
      // at most one extra row per rank, to the ranks holding fewer rows so far
      if (held[g]! + sizes[c]! <= Math.min(...held) + sizes[c]! && extra > 0) {
        sizes[c]! += 1;
        extra--;
      }
    }
    for (let c = 0; c < 2 * W && extra > 0; c++) {
      sizes[c]! += 1;
      extra--;
    }
    let from = a;
    for (let c = 0; c < 2 * W; c++) {
      const g = (owner(c) + j + offset) % W;
      if (sizes[c]! > 0) {
        const last = out[out.length - 1];
        // the two middle chunks of a segment belong to the same rank: one range
        if (last && last.gpu === g && last.to === from) last.to = from + sizes[c]!;
        else out.push({ from, to: from + sizes[c]!, at: 'gpu', gpu: g });
      }
      held[g]! += sizes[c]!;
      from += sizes[c]!;
    }
  }
  return out;
}

/** The plan ranges of a table's TorchRec choice. */
export function choiceRanges(table: Table, W: number, c: TorchRecChoice): PlanRange[] {
  const N = table.rows;
  if (c.shardingType === 'data_parallel') return [{ from: 0, to: N, at: 'replicated' }];
  if (c.shardingType === 'row_wise') return rowWiseRanges(N, W, table.index);
  if (c.computeKernel === 'fused') return [{ from: 0, to: N, at: 'gpu', gpu: c.ranks[0]! }];
  if (c.computeKernel === 'fused_uvm') return [{ from: 0, to: N, at: 'host' }];
  const rows = cacheRows(N, c.cacheLoadFactor!);
  return [
    { from: 0, to: rows, at: 'gpu', gpu: c.ranks[0]! },
    { from: rows, to: N, at: 'host' },
  ];
}

/** Every choice of the space for one table (duplicates of the same ranges left out). */
export function tableChoices(table: Table, W: number, loadFactors = TORCHREC_CACHE_LOAD_FACTORS): TorchRecChoice[] {
  const out: TorchRecChoice[] = [{ shardingType: 'data_parallel', computeKernel: 'dense', ranks: Array.from({ length: W }, (_, g) => g) }];
  for (let r = 0; r < W; r++) out.push({ shardingType: 'table_wise', computeKernel: 'fused', ranks: [r] });
  // with one rank, row_wise is table_wise on rank 0
  if (W > 1 && table.rows >= W) out.push({ shardingType: 'row_wise', computeKernel: 'fused', ranks: Array.from({ length: W }, (_, g) => g) });
  out.push({ shardingType: 'table_wise', computeKernel: 'fused_uvm', ranks: [] });
  const seen = new Set<number>();
  for (const f of loadFactors) {
    const c = cacheRows(table.rows, f);
    if (c <= 0 || c >= table.rows || seen.has(c)) continue;
    seen.add(c);
    for (let r = 0; r < W; r++) out.push({ shardingType: 'table_wise', computeKernel: 'fused_uvm_caching', ranks: [r], cacheLoadFactor: f });
  }
  return out;
}

/**
 * Classify a plan table by table as TorchRec choices. Throws InputError naming the first range TorchRec cannot
 * express (`export --format torchrec` refuses such a plan, exit 2).
 */
export function planToTorchRec(scenario: Scenario, plan: CheckedPlan, file = 'plan'): Record<string, TorchRecChoice> {
  const W = scenario.gpus.length;
  const out: Record<string, TorchRecChoice> = {};
  const all = Array.from({ length: W }, (_, g) => g);
  for (const t of scenario.tables) {
    const rs = plan.tables[t.name]!;
    const where = (i: number) => `${file}: tables.${t.name}[${i}]`;
    const N = t.rows;
    const r0 = rs[0]!;
    if (rs.length === 1) {
      if (r0.at === 'replicated') out[t.name] = { shardingType: 'data_parallel', computeKernel: 'dense', ranks: all };
      else if (r0.at === 'gpu') out[t.name] = { shardingType: 'table_wise', computeKernel: 'fused', ranks: [r0.gpu!] };
      else out[t.name] = { shardingType: 'table_wise', computeKernel: 'fused_uvm', ranks: [] };
      continue;
    }
    // more than one range: a UVM cache (one GPU prefix, one host suffix) or the row-wise layout
    const firstReplicated = rs.findIndex((r) => r.at === 'replicated');
    if (firstReplicated >= 0)
      throw new InputError(
        `TorchRec cannot express rows [${rs[firstReplicated]!.from}, ${rs[firstReplicated]!.to}) replicated while other rows of the table are not (data_parallel replicates a whole table)`,
        where(firstReplicated),
      );
    if (rs.length === 2 && r0.at === 'gpu' && rs[1]!.at === 'host') {
      out[t.name] = { shardingType: 'table_wise', computeKernel: 'fused_uvm_caching', ranks: [r0.gpu!], cacheLoadFactor: r0.to / N };
      continue;
    }
    const firstHost = rs.findIndex((r) => r.at === 'host');
    if (firstHost >= 0) {
      // [host, ...]: host rows hotter than cached ones; [gpu, host, more]: the range after the host suffix;
      // [gpu, gpu, ...]: a second GPU range (the cache is one prefix on one rank)
      const i = firstHost === 0 ? 0 : firstHost === 1 ? 2 : 1;
      throw new InputError(
        `TorchRec cannot express this range [${rs[i]!.from}, ${rs[i]!.to}) "${rs[i]!.at}": a host table (fused_uvm_caching) keeps only its hottest rows, one prefix, in the HBM cache of one rank`,
        where(i),
      );
    }
    const rw = rowWiseRanges(N, W, t.index);
    const bad = rs.findIndex((r, i) => !rw[i] || rw[i]!.from !== r.from || rw[i]!.to !== r.to || rw[i]!.gpu !== r.gpu);
    if (bad >= 0 || rs.length !== rw.length) {
      const i = bad >= 0 ? bad : Math.min(rs.length, rw.length) - 1;
      const e = rw[i];
      throw new InputError(
        `TorchRec cannot express this sharded range [${rs[i]!.from}, ${rs[i]!.to}) on GPU ${rs[i]!.gpu}: a table on several ranks must be row_wise, even row blocks over all ${W} ranks (scarec's row-wise layout has ${e ? `[${e.from}, ${e.to}) on GPU ${e.gpu}` : 'no range'} here)`,
        where(i),
      );
    }
    out[t.name] = { shardingType: 'row_wise', computeKernel: 'fused', ranks: all };
  }
  return out;
}

/** The scarec plan of a set of TorchRec choices. */
export function torchrecPlan(scenario: Scenario, choices: Record<string, TorchRecChoice>, coalesce: boolean, name = 'exact-torchrec'): CheckedPlan {
  const W = scenario.gpus.length;
  const tables: Record<string, PlanRange[]> = {};
  for (const t of scenario.tables) tables[t.name] = choiceRanges(t, W, choices[t.name]!);
  return { name, algorithm: name, coalesce, tables, space: 'torchrec', torchrec: choices } as CheckedPlan;
}

export interface TorchRecOptions {
  solver?: SolverName;
  timeLimitSec?: number;
  relativeGap?: number;
  /** candidate global batches (default: the scenario's candidateBatches, else its batch) */
  batches?: number[];
  coalesce?: boolean | 'auto';
  loadFactors?: number[];
  /** progress between solves and the MIP's incumbent and bound (as throughput, samples/s); never prints */
  onProgress?: OnWorkProgress;
}

export interface TorchRecResult {
  plan: CheckedPlan;
  evaluation: Evaluation;
  choices: Record<string, TorchRecChoice>;
  /** 'optimal' when the plan's throughput is within the relative gap of the proven ceiling of every candidate batch */
  status: SolveResult['status'];
  /** evaluate's iteration time of the returned plan, microseconds */
  objective: number | null;
  /** proven lower bound on the iteration time (us) at the returned plan's batch (the lower model's bound) */
  bestBound: number | null;
  /** (ceiling - throughput) / ceiling over every candidate batch */
  gap: number | null;
  /** proven upper bound on the throughput of any plan of the space, over every candidate batch */
  throughputUpperSamplesPerSec: number | null;
  /** |lower-model objective - evaluate| / evaluate: the row_wise layout's imbalance across ranks (0 without row_wise tables) */
  evaluateMismatch: number;
  solver: SolverName;
  globalBatch: number;
  coalesce: boolean;
  options: number;
  totalSeconds: number;
  batchSearch: Array<{ globalBatch: number; coalesce: boolean; throughputSamplesPerSec: number | null; status: string }>;
  /** the MIP whose solution is the plan; absent when no solve beat the heuristic incumbent (time limit) */
  model?: Model;
}

const US = 1e6;
const GB = 1e9;

interface Option {
  choice: TorchRecChoice;
  variable: string;
}

/** A model build that passed the call's deadline (the build is synchronous: it checks between tables). */
class BuildDeadline extends Error {}

/**
 * The most constraint terms a TorchRec-space model may have: each choice loads up to every GPU's all-to-all row,
 * so terms grow as tables x GPUs^2 (500 tables x 64 GPUs: about 18 million term objects, past Node's 4 GB heap
 * in the build). A larger model is not built; the call keeps its heuristic plan without a bound.
 */
export const TORCHREC_MAX_MODEL_TERMS = 4_000_000;

/** An upper estimate of the model's terms: per choice its pick, shared and memory terms and one per GPU row. */
export function torchrecModelTerms(scenario: Scenario, loadFactors = TORCHREC_CACHE_LOAD_FACTORS): number {
  const W = scenario.gpus.length;
  return scenario.tables.reduce((n, t) => n + tableChoices(t, W, loadFactors).length, 0) * (4 * W + 5);
}

/** The MIP over per-table choices (proofs/torchrec-space.md): its objective is evaluate's iteration time in us. */
export function torchrecModel(
  scenario: Scenario,
  coalesce: boolean,
  loadFactors = TORCHREC_CACHE_LOAD_FACTORS,
  symmetric = false,
  onTable?: (done: number, total: number) => void,
  /** checked between tables: true stops the build (BuildDeadline) */
  late?: () => boolean,
): { model: Model; options: Option[][] } {
  const W = scenario.gpus.length;
  // Interchangeable GPUs: same node, same parameters (proofs/torchrec-space.md §3). `symmetric` builds the
  // lower model: row_wise coefficients at their least over each group, single-rank choices of the table at
  // position i (tables by decreasing size) only on the first i + 1 ranks of each group.
  const groupOf = scenario.gpus.map((g) => `${g.node}|${gpuKey(scenario, g.index)}`);
  const posInGroup = scenario.gpus.map((g, w) => groupOf.slice(0, w).filter((k) => k === groupOf[w]).length);
  const members = (w: number) => scenario.gpus.filter((_, v) => groupOf[v] === groupOf[w]).map((g) => g.index);
  const order = scenario.tables.map((t) => t.index).sort((a, b) => scenario.tables[b]!.rows - scenario.tables[a]!.rows || a - b);
  const position = new Map(order.map((ti, i) => [ti, i]));
  const lat = scenario.links.latencySec;
  const serial = scenario.training.overlap === 'serial';
  const b = new ModelBuilder('torchrec_space');
  const options: Option[][] = [];
  const gather: Term[][] = Array.from({ length: W }, () => []);
  const link: Term[][] = Array.from({ length: W }, () => []);
  const a2aIn: Term[][] = Array.from({ length: W }, () => []);
  const a2aOut: Term[][] = Array.from({ length: W }, () => []);
  const mem: Term[][] = Array.from({ length: W }, () => []);
  const shared: Term[] = []; // all-reduce and host DRAM seconds, paid by every worker (serial)
  const allReduce: Term[] = [];
  const hostDram: Term[] = [];
  const hostMem: Term[] = [];
  const uses = { S: [] as string[], H: [] as string[], R: [] as string[] };
  scenario.tables.forEach((t, ti) => {
    onTable?.(ti, scenario.tables.length);
    if (late?.()) throw new BuildDeadline();
    const opts: Option[] = [];
    const pick: Term[] = [];
    // a table's choices share few distinct ranges (every table_wise rank holds [0, N), every cache of one load
    // factor the same prefix): their expected sums once per range, not once per rank
    const sums = new Map<string, ReturnType<typeof expectedRangeSums>>();
    const rangeSums = (from: number, to: number) => {
      const key = `${from}:${to}`;
      let v = sums.get(key);
      if (!v) sums.set(key, (v = expectedRangeSums(scenario, t, from, to)));
      return v;
    };
    tableChoices(t, W, loadFactors).forEach((choice, oi) => {
      const single = choice.ranks.length === 1 && choice.shardingType === 'table_wise';
      if (symmetric && single && posInGroup[choice.ranks[0]!]! > position.get(ti)!) return;
      const loads = emptyLoads(W);
      for (const r of choiceRanges(t, W, choice)) addRangeLoads(loads, scenario, t, r.at, r.gpu, rangeSums(r.from, r.to), coalesce);
      const sec = resourceSeconds(scenario, loads);
      if (symmetric && choice.shardingType === 'row_wise') {
        for (const arr of [sec.gatherSec, sec.hostLinkSec, sec.allToAllInSec, sec.allToAllOutSec, loads.gpuMemoryBytes]) {
          const low = Float64Array.from(arr, (_, w) => Math.min(...members(w).map((v) => arr[v]!)));
          arr.set(low);
        }
      }
      const x = b.addVar(`x_${ti}_${oi}`, { type: 'binary' });
      pick.push({ var: x, coef: 1 });
      // only the nonzero coefficients: a table_wise choice loads one rank's gather and memory (on 128 GPUs a
      // dense row of every choice would be millions of terms, seconds of allocation and GC)
      const put = (rows: Term[][], values: ArrayLike<number>, scale: number) => {
        for (let w = 0; w < W; w++) if (values[w] !== 0) rows[w]!.push({ var: x, coef: values[w]! * scale });
      };
      put(gather, sec.gatherSec, US);
      put(link, sec.hostLinkSec, US);
      put(a2aIn, sec.allToAllInSec, US);
      put(a2aOut, sec.allToAllOutSec, US);
      put(mem, loads.gpuMemoryBytes, 1 / GB);
      if (oi % 64 === 63) onTable?.(ti, scenario.tables.length);
      allReduce.push({ var: x, coef: sec.allReduceSec * US });
      hostDram.push({ var: x, coef: sec.hostDramSec * US });
      shared.push({ var: x, coef: (sec.allReduceSec + sec.hostDramSec) * US });
      hostMem.push({ var: x, coef: loads.hostMemoryBytes / GB });
      if (loads.rowsSharded > 0) uses.S.push(x);
      if (loads.rowsHost > 0) uses.H.push(x);
      if (loads.rowsReplicated > 0 && W > 1) uses.R.push(x);
      opts.push({ choice, variable: x });
    });
    b.addConstraint(`one_${ti}`, pick, '=', 1);
    options.push(opts);
  });
  // usage indicators: y >= x for every choice that puts rows in the class; continuous, pushed down to max x
  const y: Record<'S' | 'H' | 'R', string> = { S: b.addVar('y_sharded', { upper: 1 }), H: b.addVar('y_host', { upper: 1 }), R: b.addVar('y_replicated', { upper: 1 }) };
  for (const k of ['S', 'H', 'R'] as const) uses[k].forEach((x, i) => b.addConstraint(`use_${k}_${i}`, [{ var: y[k], coef: 1 }, { var: x, coef: -1 }], '>=', 0));
  const T = b.addVar('T');
  const latS = 2 * lat * US;
  const latR = 2 * (W - 1) * lat * US;
  // the seconds every worker pays (all-reduce, host DRAM) as one variable: one row of every choice instead of a
  // copy of it in each of the W time rows (500 tables x 64 GPUs: 16 million terms, out of memory). Minimising T
  // pushes it down to the sum, so the optimum is unchanged (proofs/torchrec-space.md §2).
  const sharedSec = b.addVar('shared_sec');
  b.addConstraint('shared_sec_def', [{ var: sharedSec, coef: 1 }, ...shared.map((t) => ({ var: t.var, coef: -t.coef }))], '>=', 0);
  const negShared = [{ var: sharedSec, coef: -1 }];
  for (let w = 0; w < W; w++) {
    // the rows of 128 GPUs hold millions of terms: a heartbeat per GPU while they are assembled
    if (w % 8 === 0) onTable?.(scenario.tables.length, scenario.tables.length);
    const { denseSec, dedupSec } = computeSeconds(scenario, w, coalesce);
    const aw = b.addVar(`a2a_${w}`);
    b.addConstraint(`a2a_in_${w}`, [{ var: aw, coef: 1 }, ...a2aIn[w]!.map((t) => ({ var: t.var, coef: -t.coef }))], '>=', 0);
    b.addConstraint(`a2a_out_${w}`, [{ var: aw, coef: 1 }, ...a2aOut[w]!.map((t) => ({ var: t.var, coef: -t.coef }))], '>=', 0);
    const neg = (ts: Term[]) => ts.map((t) => ({ var: t.var, coef: -t.coef }));
    const compute = (denseSec + dedupSec) * US;
    if (serial) {
      b.addConstraint(
        `time_${w}`,
        [{ var: T, coef: 1 }, ...neg(gather[w]!), ...neg(link[w]!), ...negShared, { var: aw, coef: -2 }, { var: y.S, coef: -latS }, { var: y.H, coef: -latS }, { var: y.R, coef: -latR }],
        '>=',
        compute,
      );
    } else {
      b.addConstraint(`time_gather_${w}`, [{ var: T, coef: 1 }, ...neg(gather[w]!)], '>=', 0);
      b.addConstraint(`time_a2a_${w}`, [{ var: T, coef: 1 }, { var: aw, coef: -2 }, { var: y.S, coef: -latS }], '>=', 0);
      b.addConstraint(`time_link_${w}`, [{ var: T, coef: 1 }, ...neg(link[w]!), { var: y.H, coef: -latS }], '>=', 0);
      if (w === 0) {
        b.addConstraint('time_compute', [{ var: T, coef: 1 }], '>=', compute);
        b.addConstraint('time_allreduce', [{ var: T, coef: 1 }, ...neg(allReduce), { var: y.R, coef: -latR }], '>=', 0);
        b.addConstraint('time_hostdram', [{ var: T, coef: 1 }, ...neg(hostDram)], '>=', 0);
      } else b.addConstraint(`time_compute_${w}`, [{ var: T, coef: 1 }], '>=', (denseSec + dedupSec) * US);
    }
    b.addConstraint(`mem_${w}`, mem[w]!, '<=', gpuEmbeddingCapacityBytes(scenario, w) / GB);
  }
  b.addConstraint('mem_host', hostMem, '<=', scenario.host.memoryBytes / GB);
  b.setObjective('minimize', [{ var: T, coef: 1 }]);
  return { model: b.build(), options };
}

/**
 * Default relative gap, 1e-6. The lower model (row_wise coefficients at their least over the GPUs of a group,
 * symmetry broken) sits below the best plan by the row_wise layout's rank imbalance (2.6e-4 on Criteo Terabyte,
 * 8 GPUs), so where its ceiling is above the incumbent the exact model (every rank's own row_wise coefficients,
 * no symmetry breaking: its objective is evaluate's iteration time) is solved too, to a tenth of this gap
 * (proofs/torchrec-space.md §3); the gap reported is the proven one.
 */
export const TORCHREC_RELATIVE_GAP = 1e-6;

/**
 * A plan of the space without a solve, at the scenario's batch: the table-wise greedy plan (whole tables) where it
 * fits, else every table in host memory (fused_uvm), each costed by evaluate at every coalescing choice; the
 * fastest feasible one, or undefined when neither fits.
 */
function heuristicIncumbent(scenario: Scenario, coalesceChoices: boolean[], loadFactors = TORCHREC_CACHE_LOAD_FACTORS) {
  const W = scenario.gpus.length;
  const nOptions = scenario.tables.reduce((n, t) => n + tableChoices(t, W, loadFactors).length, 0);
  const candidates: Array<Record<string, TorchRecChoice>> = [Object.fromEntries(scenario.tables.map((t) => [t.name, { shardingType: 'table_wise', computeKernel: 'fused_uvm', ranks: [] } as TorchRecChoice]))];
  try {
    candidates.unshift(planToTorchRec(scenario, tablewiseGreedyPlan(scenario)));
  } catch (e) {
    if (!(e instanceof InfeasibleError)) throw e;
  }
  let best: { s: Scenario; choices: Record<string, TorchRecChoice>; plan: CheckedPlan; evaluation: Evaluation; coalesce: boolean; nOptions: number } | undefined;
  for (const choices of candidates)
    for (const coalesce of coalesceChoices) {
      const plan = torchrecPlan(scenario, choices, coalesce);
      const evaluation = evaluate(scenario, plan);
      if (evaluation.feasible && (!best || evaluation.throughputSamplesPerSec > best.evaluation.throughputSamplesPerSec))
        best = { s: scenario, choices, plan, evaluation, coalesce, nOptions };
    }
  return best;
}

/** The lower model's solution as a start for the exact model (same table order, same choices by value). */
function exactStart(exact: Option[][], lower: Option[][], r: SolveResult): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (let ti = 0; ti < lower.length; ti++) {
    const picked = lower[ti]!.find((o) => (r.values[o.variable] ?? 0) > 0.5);
    if (!picked) return undefined;
    for (const o of exact[ti]!) out[o.variable] = JSON.stringify(o.choice) === JSON.stringify(picked.choice) ? 1 : 0;
  }
  return out;
}

/**
 * Exact placement in the TorchRec space (proofs/torchrec-space.md): per candidate batch and coalescing choice,
 * the lower model (symmetry broken, row_wise at its least per GPU group) gives a proven lower bound on the
 * iteration time of every plan of the space; its solution, costed by evaluate, is a plan of the space. The
 * result is 'optimal' when the best plan's throughput is within the relative gap of every batch's bound.
 */
export async function torchrecPlacement(scenario: Scenario, opts: TorchRecOptions = {}): Promise<TorchRecResult> {
  const t0 = performance.now();
  // --time-limit bounds the whole call: every solve gets what is left, and what is not solved in time keeps its
  // LP ceiling (a valid bound) or, without one, leaves the bound unproven
  const deadline = opts.timeLimitSec !== undefined ? t0 + opts.timeLimitSec * 1e3 : Infinity;
  const left = () => secondsLeft(deadline);
  const late = () => left() === 0;
  let timedOut = false;
  // building a model is synchronous (seconds on 128 GPUs): a heartbeat per table, under the step's name
  const building = (stage: string) => (opts.onProgress ? (done: number, total: number) => opts.onProgress!({ stage, done, total }) : undefined);
  // HiGHS by default: the exact model (no symmetry breaking) is solved to gap 0 in 10 s by HiGHS on Criteo
  // Terabyte, 8 GPUs; GLPK stops at a 1.9% gap after 240 s (README, "TorchRec space")
  const solver = opts.solver ?? 'highs';
  const tol = opts.relativeGap ?? TORCHREC_RELATIVE_GAP;
  const batches = opts.batches ?? scenario.training.candidateBatches ?? [scenario.training.globalBatch];
  const coalesceChoices = opts.coalesce === undefined || opts.coalesce === 'auto' ? (scenario.training.dedupSecondsPerLookup > 0 || scenario.training.dedupLatencySec > 0 ? [true, false] : [true]) : [opts.coalesce];
  // r and model are absent for the heuristic incumbent (no solve made it)
  type Best = { s: Scenario; r?: SolveResult; choices: Record<string, TorchRecChoice>; plan: CheckedPlan; evaluation: Evaluation; coalesce: boolean; model?: Model; nOptions: number };
  // the incumbent before any solve: the table-wise greedy plan (whole tables, so in the space), else every
  // table in host memory (fused_uvm), whichever fits and is faster; a time-limited call returns it at least
  let best: Best | undefined = heuristicIncumbent(scenario, coalesceChoices, opts.loadFactors);
  // a model, or undefined when its build passed the deadline (timed out; a bound already proven still holds)
  const buildInTime = (s: Scenario, coalesce: boolean, symmetric: boolean, stage: string) => {
    try {
      return torchrecModel(s, coalesce, opts.loadFactors, symmetric, building(stage), late);
    } catch (e) {
      if (!(e instanceof BuildDeadline)) throw e;
      timedOut = true;
      return undefined;
    }
  };
  const search: TorchRecResult['batchSearch'] = [];
  // per solve: the proven ceiling on throughput (B / lower bound on iteration time)
  const ceilings: number[] = [];
  let anyUnproven = false;
  // LP relaxations first (proven ceilings); the MIPs in decreasing ceiling order, skipped once the best plan
  // reaches a ceiling (the skipped choice cannot beat it)
  const cands: Array<{ B: number; s: Scenario; coalesce: boolean; model: Model; options: Option[][]; ceiling: number }> = [];
  for (const B of batches) {
    const s = B === scenario.training.globalBatch ? scenario : withGlobalBatch(scenario, B);
    for (const coalesce of coalesceChoices) {
      const stage = `exact-torchrec: LP relaxation at batch ${B}${coalesce ? '' : ', uncoalesced'}`;
      if (late()) {
        timedOut = true;
        anyUnproven = true;
        search.push({ globalBatch: B, coalesce, throughputSamplesPerSec: null, status: 'timelimit (not solved)' });
        continue;
      }
      opts.onProgress?.({ stage });
      const terms = torchrecModelTerms(s, opts.loadFactors);
      if (terms > TORCHREC_MAX_MODEL_TERMS) {
        anyUnproven = true;
        search.push({ globalBatch: B, coalesce, throughputSamplesPerSec: null, status: `not solved (model too large: about ${terms.toExponential(1)} terms, at most ${TORCHREC_MAX_MODEL_TERMS.toExponential(0)})` });
        continue;
      }
      const built = buildInTime(s, coalesce, true, `${stage} (building the model)`);
      if (!built) {
        anyUnproven = true;
        search.push({ globalBatch: B, coalesce, throughputSamplesPerSec: null, status: 'timelimit (model not built)' });
        continue;
      }
      const { model, options } = built;
      opts.onProgress?.({ stage: `${stage} (solving)` });
      // in a worker when progress is drawn: a large LP in-process would stop the bar's timer
      const lp = await solve(lpRelaxation(model), { solver, timeLimitSec: left(), ...(opts.onProgress ? { worker: true } : {}) });
      if (lp.status === 'infeasible') {
        search.push({ globalBatch: B, coalesce, throughputSamplesPerSec: null, status: 'infeasible' });
        continue;
      }
      const ceiling = lp.status === 'optimal' && lp.objective !== null && lp.objective > 0 ? B / (lp.objective / US) : Infinity;
      cands.push({ B, s, coalesce, model, options, ceiling });
    }
  }
  cands.sort((a, b) => b.ceiling - a.ceiling);
  for (const { B, s, coalesce, model, options, ceiling } of cands) {
    if (best && ceiling <= best.evaluation.throughputSamplesPerSec * (1 + 1e-12)) {
      ceilings.push(ceiling);
      search.push({ globalBatch: B, coalesce, throughputSamplesPerSec: null, status: 'pruned (LP bound)' });
      continue;
    }
    if (late()) {
      // out of time: the LP ceiling still bounds every plan of this choice
      timedOut = true;
      if (Number.isFinite(ceiling)) ceilings.push(ceiling);
      else anyUnproven = true;
      search.push({ globalBatch: B, coalesce, throughputSamplesPerSec: null, status: 'timelimit (LP bound only)' });
      continue;
    }
    // the MIP's objective is time in us: its progress as throughput (a lower bound on time bounds it above)
    const onProgress = opts.onProgress;
    const progress = (what: string) => {
      const stage = `exact-torchrec: ${what} at batch ${B}${coalesce ? '' : ', uncoalesced'}`;
      onProgress?.({ stage });
      return onProgress ? { onProgress: (sp: SolveProgress) => onProgress(throughputProgress(stage, B, sp)) } : {};
    };
    // the lower model first (fast, symmetry broken): a plan of the space and a ceiling within the row_wise imbalance
    const r = await solve(model, { solver, timeLimitSec: left(), relativeGap: tol / 10, ...progress('lower MIP') });
    if (r.status === 'timelimit') timedOut = true;
    if (r.status === 'infeasible') {
      search.push({ globalBatch: B, coalesce, throughputSamplesPerSec: null, status: 'infeasible' });
      continue;
    }
    let bound = r.bestBound !== null && r.bestBound > 0 ? Math.min(ceiling, B / (r.bestBound / US)) : ceiling;
    const consider = (res: SolveResult, opt: Option[][], m: Model) => {
      if (res.objective === null) return null;
      const choices: Record<string, TorchRecChoice> = {};
      s.tables.forEach((t, ti) => {
        choices[t.name] = opt[ti]!.find((o) => (res.values[o.variable] ?? 0) > 0.5)!.choice;
      });
      const plan = torchrecPlan(s, choices, coalesce);
      const evaluation = evaluate(s, plan);
      if (evaluation.feasible && (!best || evaluation.throughputSamplesPerSec > best.evaluation.throughputSamplesPerSec))
        best = { s, r: res, choices, plan, evaluation, coalesce, model: m, nOptions: opt.reduce((n, o) => n + o.length, 0) };
      return evaluation.feasible ? evaluation.throughputSamplesPerSec : null;
    };
    let tpHere = consider(r, options, model);
    let status: string = r.status;
    // the exact model where the lower ceiling leaves room above the incumbent: its bound is the space's own
    const incumbent = (best as Best | undefined)?.evaluation.throughputSamplesPerSec ?? 0;
    if (r.objective !== null && !(bound <= incumbent * (1 + tol / 10))) {
      if (late()) timedOut = true;
      else {
        const exactStage = `exact-torchrec: exact MIP at batch ${B}${coalesce ? '' : ', uncoalesced'} (building the model)`;
        const exact = buildInTime(s, coalesce, false, exactStage);
        if (exact) {
          const start = exactStart(exact.options, options, r);
          const re = await solve(exact.model, { solver, timeLimitSec: left(), relativeGap: tol / 10, ...(start ? { start } : {}), ...progress('exact MIP') });
          if (re.status === 'timelimit') timedOut = true;
          if (re.bestBound !== null && re.bestBound > 0) bound = Math.min(bound, B / (re.bestBound / US));
          const tpExact = consider(re, exact.options, exact.model);
          if (tpExact !== null && (tpHere === null || tpExact > tpHere)) tpHere = tpExact;
          status = re.status;
        }
      }
    }
    if (Number.isFinite(bound)) ceilings.push(bound);
    else anyUnproven = true;
    search.push({ globalBatch: B, coalesce, throughputSamplesPerSec: tpHere, status });
  }
  if (!best) throw new InfeasibleError(`no plan of the TorchRec space fits at any candidate batch (${batches.join(', ')}): GPU or host memory is short`);
  const tp = best.evaluation.throughputSamplesPerSec;
  const upper = anyUnproven ? null : Math.max(tp, ...ceilings);
  const iterUs = best.evaluation.iterationSec * US;
  const gap = upper !== null ? (upper - tp) / upper : null;
  return {
    plan: best.plan,
    evaluation: best.evaluation,
    choices: best.choices,
    status: gap !== null && gap <= tol ? 'optimal' : timedOut || best.r?.status === 'timelimit' ? 'timelimit' : 'feasible',
    objective: iterUs,
    bestBound: best.r?.bestBound ?? null,
    gap,
    throughputUpperSamplesPerSec: upper,
    evaluateMismatch: best.r && best.r.objective !== null ? Math.abs(best.r.objective - iterUs) / iterUs : 0,
    solver,
    globalBatch: best.s.training.globalBatch,
    coalesce: best.coalesce,
    options: best.nOptions,
    totalSeconds: (performance.now() - t0) / 1e3,
    batchSearch: search,
    model: best.model,
  };
}

/** The restriction's cost against the full space: what row-level placement would buy a TorchRec user. */
export interface RestrictionCost {
  torchrecSamplesPerSec: number;
  /** best plan of the full space found (exact, or greedy when faster at row level) */
  fullSpaceBestSamplesPerSec: number;
  fullSpaceBestBy: string;
  /** certified upper bound on the full space's row-level throughput (null without one) */
  fullSpaceUpperSamplesPerSec: number | null;
  /** 1 - torchrec / full-space best: at least this much throughput is lost by the restriction */
  lossAtLeast: number;
  /** 1 - torchrec / certified bound: at most this much */
  lossAtMost: number | null;
}

export function restrictionCost(torchrec: number, best: number, bestBy: string, upper: number | null): RestrictionCost {
  if (!(torchrec >= 0) || !(best > 0)) throw new InputError('restriction cost needs positive throughputs');
  return {
    torchrecSamplesPerSec: torchrec,
    fullSpaceBestSamplesPerSec: best,
    fullSpaceBestBy: bestBy,
    fullSpaceUpperSamplesPerSec: upper,
    lossAtLeast: Math.max(0, 1 - torchrec / best),
    lossAtMost: upper !== null && upper > 0 ? Math.max(0, 1 - torchrec / upper) : null,
  };
}
