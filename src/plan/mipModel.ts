import { InfeasibleError } from '../errors.js';
import { ModelBuilder, type Model, type Term } from '../mip/model.js';
import type { SolveProgress } from '../mip/result.js';
import { addRangeLoads, allReduceBytesPerSec, clearLoads, computeSeconds, emptyLoads, gpuEmbeddingCapacityBytes, resourceSeconds, resourceSecondsAt, type Loads, type ResourceSeconds } from '../model/loads.js';
import type { Scenario } from '../model/scenario.js';
import type { WorkProgress } from '../progress.js';
import { excessItems, type Bucket, type ExcessItem } from './buckets.js';
import { classList, gpuClass, hostClass, REP, unitLoads } from './classes.js';

/**
 * The placement MIPs (proofs/placement-mip.md). One builder covers the three plan spaces:
 * - 'tiered': per bucket, integer rows replicated / sharded to GPU g / on host;
 * - 'cache': replicated (a frequency cache on every GPU) or host: formulation 1, the single-GPU cache;
 * - 'tablewise': whole tables (binaries) on one GPU or on host (TorchRec's plan space).
 * Every coefficient is a unit load from addRangeLoads; the time terms mirror iterationTerms and
 * combineTerms line by line (the test checks the MIP objective against them at the solution).
 * Units: time in microseconds, memory in megabytes (keeps coefficients of cold rows above solver
 * drop tolerances; see the proof file).
 */
export type PlanSpace = 'tiered' | 'cache' | 'tablewise';

export const TIME_UNIT_SEC = 1e-6;

/**
 * A placement MIP's progress in the planner's terms (throughput, samples/s): its objective is the iteration time
 * in TIME_UNIT_SEC units at batch B, so an incumbent time t is B / (t TIME_UNIT_SEC) samples/s and a lower bound
 * on time is an upper bound on throughput; the gap is (bound - incumbent) / incumbent on throughput, as exact's
 * row-level bracket width is.
 */
export function throughputProgress(stage: string, B: number, sp: SolveProgress): WorkProgress {
  const tp = (t: number | null) => (t !== null && t > 0 ? B / (t * TIME_UNIT_SEC) : null);
  const incumbent = tp(sp.incumbent);
  const bound = tp(sp.bound);
  return { stage, incumbent, bound, gap: incumbent !== null && bound !== null ? Math.max(0, bound - incumbent) / incumbent : null };
}
const MEM_UNIT_BYTES = 1e6;

/**
 * A memory row divided by its largest coefficient (proofs/placement-bounds.md §4): the same constraint, with
 * coefficients in (0, 1] and the capacity counted in units of the largest item. Bytes, or megabytes, would
 * put 1e-5 next to 1e4 in small models and let a backend's tolerances accept overfull GPUs.
 */
function unitRow(terms: Term[], rhs: number): { terms: Term[]; rhs: number } {
  const top = terms.reduce((m, t) => Math.max(m, Math.abs(t.coef)), 0);
  if (!(top > 0)) return { terms, rhs };
  return { terms: terms.map((t) => ({ var: t.var, coef: t.coef / top })), rhs: rhs / top };
}

export interface PlacementModel {
  model: Model;
  space: PlanSpace;
  items: Bucket[];
  coalesce: boolean;
  /** variable name of item i in class c (undefined when the class is not allowed) */
  varOf: (i: number, c: number) => string | undefined;
  /** rows per unit of item i's variables (1 for row counts, the table's rows for binaries) */
  rowsPerUnit: (i: number) => number;
}

export interface BuildOptions {
  space: PlanSpace;
  coalesce: boolean;
  /** use the bucket's lower sums (the certificate's lower-bound model) */
  lower?: boolean;
  /**
   * With `lower`: add the buckets' excess-mass items (proofs/placement-refinement.md, "Excess mass"), as the
   * folded LP always does. Off by default: on this model GLPK's simplex (GLPK.js and native glpsol alike) stopped
   * 2.4e-5 above HiGHS's optimum (6 GPUs, 5 buckets), and a bound must not exceed the optimum; the certificate's
   * bound is the folded LP's, on which both backends agree.
   */
  excess?: boolean;
  name?: string;
  /**
   * Fix which latency-paying classes the plan may use (proofs/placement-bounds.md §1): classes outside the
   * pattern get no variables, classes inside pay their latency as a constant. No indicator binaries and no
   * big-M rows. Without it the model chooses the classes itself through indicators (the exported model).
   */
  usage?: Usage;
  /** called every few items and GPUs while the model is built (seconds on 128 GPUs): a progress heartbeat */
  heartbeat?: () => void;
}

/**
 * Which classes of rows a plan uses; `iterationTerms` pays each class's latency only when it has rows:
 * replicated 2 (W - 1) lat (all-reduce, W > 1), sharded 2 lat (all-to-all, W > 1), host 2 lat (host link).
 */
export interface Usage {
  rep: boolean;
  shard: boolean;
  host: boolean;
}

/** Classes the plan space has at all (with one GPU the replicated class stands for "on the GPU"). */
function spaceClasses(W: number, space: PlanSpace): Usage {
  return { rep: W === 1 || space !== 'tablewise', shard: W > 1 && space !== 'cache', host: true };
}

/** Seconds of latency a class in use adds to every GPU's iteration (iterationTerms). */
export function usageLatencySec(scenario: Scenario): Record<keyof Usage, number> {
  const W = scenario.gpus.length;
  const lat = scenario.links.latencySec;
  return { rep: W > 1 ? 2 * (W - 1) * lat : 0, shard: W > 1 ? 2 * lat : 0, host: 2 * lat };
}

/**
 * The usage patterns whose models together cover the plan space (proofs/placement-bounds.md §1): every
 * class the space has is free to be used or not when its latency is positive (two patterns), and always
 * allowed when its latency is zero (allowing it then costs nothing). The MIP optimum is the least of the
 * pattern models' optima, so the least of their bounds is a bound.
 */
export function usagePatterns(scenario: Scenario, space: PlanSpace): Usage[] {
  const has = spaceClasses(scenario.gpus.length, space);
  const lat = usageLatencySec(scenario);
  const choices = (k: keyof Usage): boolean[] => (!has[k] ? [false] : lat[k] > 0 ? [false, true] : [true]);
  const out: Usage[] = [];
  for (const rep of choices('rep')) for (const shard of choices('shard')) for (const host of choices('host')) out.push({ rep, shard, host });
  return out;
}

/**
 * A usage pattern without the host whose GPUs cannot hold the tables at all: every row is then on a GPU (a
 * replicated one on every GPU), so the GPUs' capacities must sum to at least the tables' bytes, and with
 * replication alone the smallest GPU must hold them all. True means the pattern is proven infeasible without
 * an LP (on gen-T500-W64 such LPs took 0.6-7.7 s each to say so).
 */
export function patternShortOfGpuMemory(scenario: Scenario, usage: Usage): boolean {
  if (usage.host) return false;
  const total = scenario.tables.reduce((s, t) => s + t.rows * (t.rowBytes + t.optimizerBytesPerRow), 0);
  const caps = scenario.gpus.map((_, g) => Math.max(0, gpuEmbeddingCapacityBytes(scenario, g)));
  const available = usage.shard ? caps.reduce((s, x) => s + x, 0) : usage.rep ? Math.min(...caps) : 0;
  return total > available * (1 + 1e-12);
}

/** The classes a plan with these counts uses (rows > 0), as a usage pattern. */
export function usageOfCounts(W: number, counts: number[][]): Usage {
  const u: Usage = { rep: false, shard: false, host: false };
  for (const row of counts) {
    if (row[REP]! > 0) u.rep = true;
    for (let g = 0; g < W; g++) if (row[gpuClass(g)]! > 0) (W === 1 ? (u.rep = true) : (u.shard = true));
    if (row[hostClass(W)]! > 0) u.host = true;
  }
  return u;
}

/** True when pattern `a` allows every class pattern `b` uses (a plan of usage b is a point of model a). */
export function usageCovers(a: Usage, b: Usage): boolean {
  return (a.rep || !b.rep) && (a.shard || !b.shard) && (a.host || !b.host);
}

export function usageName(u: Usage): string {
  const parts = [u.rep && 'replicated', u.shard && 'sharded', u.host && 'host'].filter(Boolean);
  return parts.length ? parts.join('+') : 'none';
}

/**
 * Every parameter of a GPU that the cost model reads, except its index, name and node (all fields of the
 * normalised Gpu, so a field added later is never forgotten).
 */
export function gpuKey(scenario: Scenario, g: number): string {
  const { index: _i, name: _n, node: _node, ...params } = scenario.gpus[g]!;
  return JSON.stringify(params, Object.keys(params).sort());
}

/**
 * GPU orbits (proofs/placement-bounds.md §2): g and g' are in one orbit when they have the same parameters
 * and their nodes hold the same multiset of GPU parameters. Swapping two such GPUs (same node), or two such
 * nodes GPU for GPU, maps every plan to one of the same cost. Items whose per-worker sums differ between
 * members (not the case for expected bucket sums) fall back to one orbit per GPU.
 */
export function gpuOrbits(scenario: Scenario, items: Bucket[], lower = false): { orbitOf: number[]; members: number[][] } {
  const W = scenario.gpus.length;
  const keys = scenario.gpus.map((_, g) => gpuKey(scenario, g));
  const nodeSig = new Map<number, string>();
  for (const n of new Set(scenario.gpus.map((x) => x.node)))
    nodeSig.set(n, JSON.stringify(scenario.gpus.filter((x) => x.node === n).map((x) => keys[x.index]!).sort()));
  const index = new Map<string, number>();
  const members: number[][] = [];
  const orbitOf = scenario.gpus.map((x, g) => {
    const k = `${keys[g]}|${nodeSig.get(x.node)}`;
    let o = index.get(k);
    if (o === undefined) {
      o = members.length;
      index.set(k, o);
      members.push([]);
    }
    members[o]!.push(g);
    return o;
  });
  const symmetric = items.every((it) => {
    const sums = lower ? it.lowerSums : it.sums;
    if (sums.massPerWorker) return false;
    return members.every((m) => m.every((g) => sums.touchedPerWorker[g] === sums.touchedPerWorker[m[0]!]));
  });
  if (!symmetric) return { orbitOf: Array.from({ length: W }, (_, g) => g), members: Array.from({ length: W }, (_, g) => [g]) };
  return { orbitOf, members };
}

/** Throws InfeasibleError when activations alone exceed a GPU, or the tables fit nowhere at all. */
export function checkCapacity(scenario: Scenario, space: PlanSpace): void {
  const W = scenario.gpus.length;
  const short = [];
  for (let g = 0; g < W; g++) {
    const cap = gpuEmbeddingCapacityBytes(scenario, g);
    if (cap < 0)
      short.push({ resource: `gpu${g} memory (activations of ${scenario.gpus[g]!.batchSamples} samples)`, needed: scenario.gpus[g]!.memoryBytes - cap, available: scenario.gpus[g]!.memoryBytes, unit: 'bytes' });
  }
  if (short.length) throw new InfeasibleError(`activation memory exceeds GPU memory at global batch ${scenario.training.globalBatch}`, short);
  const total = scenario.tables.reduce((s, t) => s + t.rows * (t.rowBytes + t.optimizerBytesPerRow), 0);
  let gpuTotal = 0;
  for (let g = 0; g < W; g++) gpuTotal += Math.max(0, gpuEmbeddingCapacityBytes(scenario, g));
  const available = (space === 'cache' ? Math.min(...scenario.gpus.map((_, g) => gpuEmbeddingCapacityBytes(scenario, g))) : gpuTotal) + scenario.host.memoryBytes;
  if (total > available)
    throw new InfeasibleError('the embedding tables do not fit in GPU and host memory together', [
      { resource: space === 'cache' ? 'host memory + GPU cache' : 'host memory + GPU memory', needed: total, available, unit: 'bytes' },
    ]);
  if (space === 'tablewise') {
    const fits = (bytes: number) => bytes <= scenario.host.memoryBytes || scenario.gpus.some((_, g) => bytes <= gpuEmbeddingCapacityBytes(scenario, g));
    for (const t of scenario.tables) {
      const bytes = t.rows * (t.rowBytes + t.optimizerBytesPerRow);
      if (!fits(bytes)) {
        const best = Math.max(scenario.host.memoryBytes, ...scenario.gpus.map((_, g) => gpuEmbeddingCapacityBytes(scenario, g)));
        throw new InfeasibleError(`table "${t.name}" fits on no single device (table-wise placement)`, [
          { resource: 'largest single device memory', needed: bytes, available: best, unit: 'bytes' },
        ]);
      }
    }
  }
}

export function buildPlacementModel(scenario: Scenario, items: Bucket[], opts: BuildOptions): PlacementModel {
  const { space, coalesce, usage } = opts;
  checkCapacity(scenario, space);
  const W = scenario.gpus.length;
  const lat = scenario.links.latencySec;
  const us = 1 / TIME_UNIT_SEC;
  const classes = classList(W);
  const binary = space === 'tablewise';
  const H = hostClass(W);
  // With one GPU, "sharded to gpu 0" and "replicated" cost the same (addRangeLoads counts both as
  // replicated); the model keeps only the replicated class. Table-wise with W > 1 has no replication.
  const has = spaceClasses(W, space);
  const inSpace = (c: number): boolean => (c === H ? has.host : c === REP ? has.rep : has.shard);
  // A usage pattern removes the classes it does not use (proofs/placement-bounds.md §1).
  const allowed = (c: number): boolean => inSpace(c) && (!usage || (c === H ? usage.host : c === REP ? usage.rep : usage.shard));
  const b = new ModelBuilder(opts.name ?? `scarec_${space}`);
  // The lower model's excess-mass pseudo-items (proofs/placement-refinement.md, "Excess mass") follow the
  // buckets: `all` is both, `items` the buckets alone (memory, latencies, symmetry and the plan are theirs).
  const excess = opts.lower && opts.excess && !binary ? excessItems(scenario, items, 3) : [];
  const all = [...items, ...excess.map((e) => e.bucket)];
  const names: (string | undefined)[][] = all.map((_, i) =>
    classes.map((cls, c) => {
      if (!allowed(c)) return undefined;
      const tag = cls.at === 'replicated' ? 'r' : cls.at === 'host' ? 'h' : `g${cls.gpu}`;
      if (i >= items.length) return b.addVar(`e${i - items.length}_${tag}`, { type: 'continuous', lower: 0, upper: all[i]!.rows });
      return b.addVar(`x${i}_${tag}`, binary ? { type: 'binary' } : { type: 'integer', lower: 0, upper: items[i]!.rows });
    }),
  );
  // Loads of every class of the space (the host class's pooling reads are the gather baseline even when a
  // pattern leaves the host out).
  const loadsOf: (Loads | undefined)[][] = all.map((item, i) => {
    if (i % 16 === 15) opts.heartbeat?.();
    return classes.map((cls, c) => (inSpace(c) ? unitLoads(scenario, item, cls, coalesce, !binary, opts.lower ? item.lowerSums : item.sums) : undefined));
  });
  // Time coefficients by evaluate's own conversion of loads to seconds (resourceSeconds), per unit.
  const secOf: (ResourceSeconds | undefined)[][] = loadsOf.map((row, i) => {
    if (i % 16 === 15) opts.heartbeat?.();
    return row.map((l) => (l ? resourceSeconds(scenario, l) : undefined));
  });
  const present = (i: number) => names[i]!.map((v, c) => ({ v, c })).filter((e): e is { v: string; c: number } => e.v !== undefined);
  // Every row of every item is placed exactly once (an excess item's n units, its shares times n, sum to n).
  all.forEach((item, i) => {
    b.addConstraint(`assign${i}`, present(i).map((e) => ({ var: e.v, coef: 1 })), '=', binary ? 1 : item.rows);
  });
  // A class's share of a bucket's excess mass is at most what its rows of the bucket can carry (n e <= n c0 + n c1 x).
  excess.forEach((ex, j) => {
    const i = items.length + j;
    const n = items[ex.of]!.rows;
    for (const { v, c } of present(i))
      ex.envelope.forEach((t, k) => b.addConstraint(`excess${j}_${c}_${k}`, [{ var: v, coef: 1 }, { var: names[ex.of]![c]!, coef: -t.c1 * n }], '<=', t.c0 * n));
  });

  const nodes = [...new Set(scenario.gpus.map((g) => g.node))].sort((a, c) => a - c);
  const gpusOfNode = new Map(nodes.map((n) => [n, scenario.gpus.filter((g) => g.node === n).map((g) => g.index)]));
  const sharded = has.shard && (!usage || usage.shard);
  // s_{i,n}: rows of item i sharded to GPUs of node n. The all-to-all bytes a GPU receives depend only on
  // the sender's node (gpuPairBytesPerSec), so in_w needs these aggregates, not every x_{i,g}.
  const sName: string[][] = [];
  if (sharded) {
    all.forEach((_, i) => {
      sName[i] = nodes.map((n) => {
        const v = b.addVar(`s${i}_n${n}`, { type: 'continuous', lower: 0, upper: null });
        const terms: Term[] = [{ var: v, coef: 1 }];
        for (const g of gpusOfNode.get(n)!) terms.push({ var: names[i]![gpuClass(g)]!, coef: -1 });
        b.addConstraint(`node${i}_n${n}`, terms, '=', 0);
        return v;
      });
    });
  }

  // Latency of each class: with a usage pattern a constant of the classes it uses; otherwise class-in-use
  // indicators (latencies are paid only by classes with rows, iterationTerms).
  const latUs = lat * us;
  const hasRep = items.length > 0 && names[0]![REP] !== undefined;
  const hasHost = items.length > 0 && names[0]![H] !== undefined;
  type Lat = { terms: Term[]; constUs: number };
  const latencyOf = (tag: string, inUse: boolean, perUse: number, vars: (i: number) => string[]): Lat => {
    if (perUse === 0 || !inUse) return { terms: [], constUs: 0 };
    if (usage) return { terms: [], constUs: perUse };
    const totalUnits = items.reduce((s, it) => s + (binary ? 1 : it.rows), 0);
    const y = b.addVar(`y_${tag}`, { type: 'binary' });
    const terms: Term[] = [];
    items.forEach((_, i) => vars(i).forEach((v) => terms.push({ var: v, coef: 1 })));
    terms.push({ var: y, coef: -totalUnits });
    b.addConstraint(`use_${tag}`, terms, '<=', 0);
    return { terms: [{ var: y, coef: -perUse }], constUs: 0 };
  };
  const latRep = latencyOf('rep', W > 1 && hasRep, 2 * (W - 1) * latUs, (i) => [names[i]![REP]!]);
  const latShard = latencyOf('shard', sharded, 2 * latUs, (i) => sName[i]!);
  const latHost = latencyOf('host', hasHost, 2 * latUs, (i) => [names[i]![H]!]);

  // Memory per GPU and host (megabytes).
  for (let g = 0; g < W; g++) {
    const terms: Term[] = [];
    items.forEach((_, i) => {
      for (const c of [REP, gpuClass(g)]) {
        const v = names[i]![c];
        if (v) terms.push({ var: v, coef: loadsOf[i]![c]!.gpuMemoryBytes[g]! });
      }
    });
    const row = unitRow(terms, gpuEmbeddingCapacityBytes(scenario, g));
    if (terms.length) b.addConstraint(`mem_gpu${g}`, row.terms, '<=', row.rhs);
  }
  if (hasHost) {
    const row = unitRow(items.map((_, i) => ({ var: names[i]![H]!, coef: loadsOf[i]![H]!.hostMemoryBytes })), scenario.host.memoryBytes);
    b.addConstraint('mem_host', row.terms, '<=', row.rhs);
  }

  // Symmetry breaking: interchangeable GPUs (every parameter equal, same node) are ordered by memory used.
  // Any plan can be permuted among them without changing its cost, so this keeps an optimum
  // (proofs/placement-mip.md) and spares branch and bound the mirror images.
  if (sharded) {
    const key = (g: number) => `${gpuKey(scenario, g)}|${scenario.gpus[g]!.node}`;
    for (let g = 0; g + 1 < W; g++) {
      if (key(g) !== key(g + 1)) continue;
      const terms: Term[] = [];
      items.forEach((_, i) => {
        const m = loadsOf[i]![gpuClass(g)]!.gpuMemoryBytes[g]!;
        terms.push({ var: names[i]![gpuClass(g)]!, coef: m }, { var: names[i]![gpuClass(g + 1)]!, coef: -m });
      });
      b.addConstraint(`sym${g}`, unitRow(terms, 0).terms, '>=', 0);
    }
  }
  const z = b.addVar('z', { type: 'continuous', lower: 0, upper: null });
  // Shared terms as defined variables: all-reduce and host DRAM seconds (same on every GPU).
  let ar: string | undefined;
  if (W > 1 && hasRep) {
    ar = b.addVar('t_allreduce', { type: 'continuous', lower: 0, upper: null });
    const terms: Term[] = [{ var: ar, coef: -1 }];
    all.forEach((_, i) => terms.push({ var: names[i]![REP]!, coef: secOf[i]![REP]!.allReduceSec * us }));
    b.addConstraint('def_allreduce', terms, '=', 0);
  }
  let dram: string | undefined;
  if (hasHost) {
    dram = b.addVar('t_hostdram', { type: 'continuous', lower: 0, upper: null });
    const terms: Term[] = [{ var: dram, coef: -1 }];
    all.forEach((_, i) => terms.push({ var: names[i]![H]!, coef: secOf[i]![H]!.hostDramSec * us }));
    b.addConstraint('def_hostdram', terms, '=', 0);
  }
  const neg = (ts: Term[]) => ts.map((t) => ({ var: t.var, coef: -t.coef }));

  for (let w = 0; w < W; w++) {
    if (w % 8 === 7) opts.heartbeat?.();
    const { denseSec, dedupSec } = computeSeconds(scenario, w, coalesce);
    // Local gathers: pooling reads of every row (class independent: the host class carries only them),
    // plus the extra HBM traffic of rows kept on this GPU.
    const gather: Term[] = [];
    let gatherConst = 0;
    all.forEach((item, i) => {
      const base = secOf[i]![H]!.gatherSec[w]!;
      gatherConst += base * (binary ? 1 : item.rows);
      for (let c = 0; c < classes.length; c++) {
        const v = names[i]![c];
        if (!v || c === H) continue;
        const extra = secOf[i]![c]!.gatherSec[w]! - base;
        if (extra !== 0) gather.push({ var: v, coef: extra * us });
      }
    });
    const gatherConstUs = gatherConst * us;
    // Host link of worker w.
    const hostLink: Term[] = hasHost ? all.map((_, i) => ({ var: names[i]![H]!, coef: secOf[i]![H]!.hostLinkSec[w]! * us })) : [];
    // All-to-all: a_w >= in_w and a_w >= out_w (epigraph of the max), seconds per phase.
    let a: string | undefined;
    if (sharded) {
      a = b.addVar(`a${w}`, { type: 'continuous', lower: 0, upper: null });
      const inTerms: Term[] = [{ var: a, coef: -1 }];
      const outTerms: Term[] = [{ var: a, coef: -1 }];
      all.forEach((_, i) => {
        nodes.forEach((n, k) => {
          const sender = gpusOfNode.get(n)!.find((g) => g !== w);
          if (sender === undefined) return; // node n is {w} alone: nothing arrives from it
          const coef = loadsOf[i]![gpuClass(sender)]!.allToAllInSec[w]! * us;
          inTerms.push({ var: sName[i]![k]!, coef });
          if (scenario.gpus[w]!.node === n) inTerms.push({ var: names[i]![gpuClass(w)]!, coef: -coef });
        });
        outTerms.push({ var: names[i]![gpuClass(w)]!, coef: loadsOf[i]![gpuClass(w)]!.allToAllOutSec[w]! * us });
      });
      b.addConstraint(`a2a_in${w}`, inTerms, '<=', 0);
      b.addConstraint(`a2a_out${w}`, outTerms, '<=', 0);
    }
    const computeUs = (denseSec + dedupSec) * us;
    if (scenario.training.overlap === 'serial') {
      const terms: Term[] = [{ var: z, coef: 1 }, ...neg(gather), ...neg(hostLink), ...latHost.terms];
      if (a) terms.push({ var: a, coef: -2 }, ...latShard.terms);
      if (ar) terms.push({ var: ar, coef: -1 }, ...latRep.terms);
      if (dram) terms.push({ var: dram, coef: -1 });
      b.addConstraint(`time${w}`, terms, '>=', computeUs + gatherConstUs + latHost.constUs + latShard.constUs + latRep.constUs);
    } else {
      // Full overlap: the busiest resource (combineTerms 'full').
      b.addConstraint(`time${w}_compute`, [{ var: z, coef: 1 }], '>=', computeUs);
      b.addConstraint(`time${w}_gather`, [{ var: z, coef: 1 }, ...neg(gather)], '>=', gatherConstUs);
      if (hasHost) b.addConstraint(`time${w}_hostlink`, [{ var: z, coef: 1 }, ...neg(hostLink), ...latHost.terms], '>=', latHost.constUs);
      if (a) b.addConstraint(`time${w}_a2a`, [{ var: z, coef: 1 }, { var: a, coef: -2 }, ...latShard.terms], '>=', latShard.constUs);
    }
  }
  if (scenario.training.overlap === 'full') {
    if (ar) b.addConstraint('time_allreduce', [{ var: z, coef: 1 }, { var: ar, coef: -1 }, ...latRep.terms], '>=', latRep.constUs);
    if (dram) b.addConstraint('time_hostdram', [{ var: z, coef: 1 }, { var: dram, coef: -1 }], '>=', 0);
  }
  b.setObjective('minimize', [{ var: z, coef: 1 }]);
  return {
    model: b.build(),
    space,
    items,
    coalesce,
    varOf: (i, c) => names[i]![c],
    rowsPerUnit: (i: number) => (binary ? items[i]!.rows : 1),
  };
}

/** The LP relaxation of a usage pattern's model, folded over GPU orbits (foldedLpModel). */
export interface FoldedLp {
  model: Model;
  usage: Usage;
  orbits: { orbitOf: number[]; members: number[][] };
  /**
   * Fractions of each item from solver values: replicated, per member GPU of each orbit, host
   * (rep + sum_o |orbit o| * orbit[o] + host = 1).
   */
  fractions(values: Record<string, number>): Array<{ rep: number; orbit: number[]; host: number }>;
}

/**
 * The LP relaxation of the pattern model `buildPlacementModel(..., { usage })`, restricted to points where
 * every GPU of an orbit (gpuOrbits) holds the same fraction of every item. By symmetry and convexity its
 * optimum equals the full LP relaxation's (proofs/placement-bounds.md §2), with one variable per item and
 * orbit instead of one per item and GPU, and one time row per orbit instead of one per GPU. Variables are
 * fractions of an item (rows / n_i), so coefficients are whole-item seconds and megabytes: a well-scaled
 * LP (no 1e-10 next to 1e8). The coefficient of an orbit's fraction at worker w is the sum over the
 * orbit's GPUs of their unit loads at w, which depends on a GPU only through its relation to w (itself,
 * same node, other node): one unitLoads call per relation.
 */
export interface FoldUnit {
  /** per orbit representative (reps[k]): GPU memory bytes, gather, host-link, all-to-all in and out seconds */
  memory: Float64Array;
  gatherSec: Float64Array;
  hostLinkSec: Float64Array;
  allToAllInSec: Float64Array;
  allToAllOutSec: Float64Array;
  hostMemoryBytes: number;
  allReduceSec: number;
  hostDramSec: number;
}
/**
 * Whole-item loads and seconds per (item, class), shared by the folded models of one choice's patterns: only
 * the entries at the orbits' representatives, which are all the model reads (the full loads of every item and
 * class, W-long arrays each, were most of the model's build time on gen-T500-W64 in allocation and GC).
 */
export type FoldUnits = Map<number, FoldUnit>;

export function foldedLpModel(
  scenario: Scenario,
  items: Bucket[],
  opts: {
    space: PlanSpace;
    coalesce: boolean;
    lower?: boolean;
    usage: Usage;
    name?: string;
    units?: FoldUnits;
    /** the lower model's excess items of `items` (excessItems(scenario, items, 3)), shared by one choice's patterns */
    excess?: ExcessItem[];
  },
): FoldedLp {
  const { space, coalesce, usage } = opts;
  checkCapacity(scenario, space);
  const W = scenario.gpus.length;
  const us = 1 / TIME_UNIT_SEC;
  const H = hostClass(W);
  const classes = classList(W);
  const has = spaceClasses(W, space);
  const useRep = has.rep && usage.rep;
  const useShard = has.shard && usage.shard;
  const useHost = has.host && usage.host;
  // the lower model's excess-mass pseudo-items after the buckets (proofs/placement-refinement.md, "Excess mass")
  const excess = opts.lower && space !== 'tablewise' ? (opts.excess ?? excessItems(scenario, items, 3)) : [];
  const all = [...items, ...excess.map((e) => e.bucket)];
  const orbits = gpuOrbits(scenario, all, opts.lower);
  const { members } = orbits;
  const reps = members.map((m) => m[0]!);
  const lat = usageLatencySec(scenario);
  // Whole-item loads and seconds of one class, memoised per (item, class).
  const cache: FoldUnits = opts.units ?? new Map();
  // position of each representative GPU among reps (the rows below are per representative)
  const repPos = new Int32Array(W).fill(-1);
  reps.forEach((w, k) => (repPos[w] = k));
  const scratch = emptyLoads(W);
  const ringBytesPerSec = allReduceBytesPerSec(scenario);
  const whole = (i: number, c: number): FoldUnit => {
    const key = i * classes.length + c;
    let u = cache.get(key);
    if (!u) {
      const item = all[i]!;
      const cls = classes[c]!;
      // unitLoads's loads (one addRangeLoads of the whole item), into a reused buffer
      clearLoads(scratch);
      addRangeLoads(scratch, scenario, scenario.tables[item.table]!, cls.at, cls.at === 'gpu' ? cls.gpu : undefined, opts.lower ? item.lowerSums : item.sums, coalesce);
      const sec = resourceSecondsAt(scenario, scratch, reps, ringBytesPerSec);
      u = {
        memory: Float64Array.from(reps, (w) => scratch.gpuMemoryBytes[w]!),
        gatherSec: sec.gatherSec,
        hostLinkSec: sec.hostLinkSec,
        // (copies: with every GPU a representative, resourceSecondsAt hands back the reused buffer's own arrays)
        allToAllInSec: sec.allToAllInSec.slice(),
        allToAllOutSec: sec.allToAllOutSec.slice(),
        hostMemoryBytes: scratch.hostMemoryBytes,
        allReduceSec: sec.allReduceSec,
        hostDramSec: sec.hostDramSec,
      };
      cache.set(key, u);
    }
    return u;
  };
  // GPUs of orbit o grouped by their relation to worker w: [representative GPU, how many].
  // (memoised per (o, w): it is read for every item and row)
  const relations = new Map<number, Array<[number, number]>>();
  const relation = (o: number, w: number): Array<[number, number]> => {
    const key = o * W + w;
    let r = relations.get(key);
    if (!r) {
      const self = members[o]!.filter((g) => g === w);
      const same = members[o]!.filter((g) => g !== w && scenario.gpus[g]!.node === scenario.gpus[w]!.node);
      const other = members[o]!.filter((g) => scenario.gpus[g]!.node !== scenario.gpus[w]!.node);
      relations.set(key, (r = [self, same, other].filter((l) => l.length > 0).map((l): [number, number] => [l[0]!, l.length])));
    }
    return r;
  };
  // Sum over orbit o's GPUs of a per-worker quantity at w.
  const folded = (i: number, o: number, w: number, pick: (u: FoldUnit) => ArrayLike<number>) =>
    relation(o, w).reduce((acc, [g, n]) => acc + n * pick(whole(i, gpuClass(g)))[repPos[w]!]!, 0);

  const b = new ModelBuilder(opts.name ?? `scarec_${space}_folded_${usageName(usage).replace(/\+/g, '_')}`);
  const fr: (string | undefined)[] = [];
  const fo: string[][] = [];
  const fh: (string | undefined)[] = [];
  all.forEach((_, i) => {
    const tag = i < items.length ? `f${i}` : `e${i - items.length}`;
    fr[i] = useRep ? b.addVar(`${tag}_r`, { lower: 0, upper: 1 }) : undefined;
    fo[i] = useShard ? members.map((_, o) => b.addVar(`${tag}_o${o}`, { lower: 0, upper: 1 })) : [];
    fh[i] = useHost ? b.addVar(`${tag}_h`, { lower: 0, upper: 1 }) : undefined;
    const terms: Term[] = [];
    if (fr[i]) terms.push({ var: fr[i]!, coef: 1 });
    fo[i]!.forEach((v, o) => terms.push({ var: v, coef: members[o]!.length }));
    if (fh[i]) terms.push({ var: fh[i]!, coef: 1 });
    b.addConstraint(`assign${i}`, terms, '=', 1);
  });
  // each class's share of a bucket's excess mass is at most what its rows (n = rows x fraction, per GPU of an
  // orbit) can carry
  excess.forEach((ex, j) => {
    const i = items.length + j;
    const n = items[ex.of]!.rows;
    const pairs: Array<[string | undefined, string | undefined, string]> = [[fr[i], fr[ex.of], 'r'], ...fo[i]!.map((v, o): [string, string | undefined, string] => [v, fo[ex.of]![o], `o${o}`]), [fh[i], fh[ex.of], 'h']];
    for (const [e, f, tag] of pairs) {
      if (!e || !f) continue;
      ex.envelope.forEach((t, k) => b.addConstraint(`excess${j}_${tag}_${k}`, [{ var: e, coef: 1 }, { var: f, coef: -t.c1 * n }], '<=', t.c0));
    }
  });
  // Memory of each orbit's representative GPU, and of the host (megabytes).
  reps.forEach((w, k) => {
    const terms: Term[] = [];
    items.forEach((_, i) => {
      if (fr[i]) terms.push({ var: fr[i]!, coef: whole(i, REP).memory[k]! });
      fo[i]!.forEach((v, o) => terms.push({ var: v, coef: folded(i, o, w, (u) => u.memory) }));
    });
    const row = unitRow(terms, gpuEmbeddingCapacityBytes(scenario, w));
    if (terms.length) b.addConstraint(`mem_o${k}`, row.terms, '<=', row.rhs);
  });
  if (useHost) {
    const row = unitRow(items.map((_, i) => ({ var: fh[i]!, coef: whole(i, H).hostMemoryBytes })), scenario.host.memoryBytes);
    b.addConstraint('mem_host', row.terms, '<=', row.rhs);
  }

  const z = b.addVar('z', { lower: 0, upper: null });
  // All-reduce and host DRAM seconds: the same on every GPU.
  const arTerms: Term[] = [];
  const dramTerms: Term[] = [];
  all.forEach((_, i) => {
    if (fr[i] && W > 1) arTerms.push({ var: fr[i]!, coef: whole(i, REP).allReduceSec * us });
    if (fh[i]) dramTerms.push({ var: fh[i]!, coef: whole(i, H).hostDramSec * us });
  });
  const latRepUs = useRep ? lat.rep * us : 0;
  const latShardUs = useShard ? lat.shard * us : 0;
  const latHostUs = useHost ? lat.host * us : 0;
  const neg = (ts: Term[]) => ts.map((t) => ({ var: t.var, coef: -t.coef }));
  reps.forEach((w, k) => {
    const { denseSec, dedupSec } = computeSeconds(scenario, w, coalesce);
    const computeUs = (denseSec + dedupSec) * us;
    const gather: Term[] = [];
    const link: Term[] = [];
    all.forEach((_, i) => {
      if (fr[i]) gather.push({ var: fr[i]!, coef: whole(i, REP).gatherSec[k]! * us });
      fo[i]!.forEach((v, o) => gather.push({ var: v, coef: folded(i, o, w, (u) => u.gatherSec) * us }));
      if (fh[i]) {
        gather.push({ var: fh[i]!, coef: whole(i, H).gatherSec[k]! * us });
        link.push({ var: fh[i]!, coef: whole(i, H).hostLinkSec[k]! * us });
      }
    });
    let a: string | undefined;
    if (useShard) {
      a = b.addVar(`a_o${k}`, { lower: 0, upper: null });
      const inTerms: Term[] = [{ var: a, coef: -1 }];
      const outTerms: Term[] = [{ var: a, coef: -1 }];
      all.forEach((_, i) =>
        fo[i]!.forEach((v, o) => {
          inTerms.push({ var: v, coef: folded(i, o, w, (u) => u.allToAllInSec) * us });
          outTerms.push({ var: v, coef: folded(i, o, w, (u) => u.allToAllOutSec) * us });
        }),
      );
      b.addConstraint(`a2a_in_o${k}`, inTerms, '<=', 0);
      b.addConstraint(`a2a_out_o${k}`, outTerms, '<=', 0);
    }
    if (scenario.training.overlap === 'serial') {
      const terms: Term[] = [{ var: z, coef: 1 }, ...neg(gather), ...neg(link), ...neg(arTerms), ...neg(dramTerms)];
      if (a) terms.push({ var: a, coef: -2 });
      b.addConstraint(`time_o${k}`, terms, '>=', computeUs + latRepUs + latShardUs + latHostUs);
    } else {
      b.addConstraint(`time_o${k}_compute`, [{ var: z, coef: 1 }], '>=', computeUs);
      b.addConstraint(`time_o${k}_gather`, [{ var: z, coef: 1 }, ...neg(gather)], '>=', 0);
      if (useHost) b.addConstraint(`time_o${k}_hostlink`, [{ var: z, coef: 1 }, ...neg(link)], '>=', latHostUs);
      if (a) b.addConstraint(`time_o${k}_a2a`, [{ var: z, coef: 1 }, { var: a, coef: -2 }], '>=', latShardUs);
    }
  });
  if (scenario.training.overlap === 'full') {
    if (useRep && W > 1) b.addConstraint('time_allreduce', [{ var: z, coef: 1 }, ...neg(arTerms)], '>=', latRepUs);
    if (useHost) b.addConstraint('time_hostdram', [{ var: z, coef: 1 }, ...neg(dramTerms)], '>=', 0);
  }
  b.setObjective('minimize', [{ var: z, coef: 1 }]);
  return {
    model: b.build(),
    usage,
    orbits,
    fractions: (values) =>
      items.map((_, i) => ({
        rep: fr[i] ? Math.max(0, values[fr[i]!] ?? 0) : 0,
        orbit: members.map((_, o) => (fo[i]![o] ? Math.max(0, values[fo[i]![o]!] ?? 0) : 0)),
        host: fh[i] ? Math.max(0, values[fh[i]!] ?? 0) : 0,
      })),
  };
}

/** Row counts per item and class from solver values (rounded; integrality tolerance residues removed). */
export function countsFromValues(pm: PlacementModel, scenario: Scenario, values: Record<string, number>): number[][] {
  const W = scenario.gpus.length;
  const classes = classList(W);
  return pm.items.map((item, i) => {
    const row = classes.map((_, c) => {
      const v = pm.varOf(i, c);
      return v ? Math.max(0, Math.round(values[v] ?? 0)) * pm.rowsPerUnit(i) : 0;
    });
    // Rounding can leave the total off by a row or so: the host absorbs the difference.
    const placedElsewhere = row.reduce((s, x, c) => (c === hostClass(W) ? s : s + x), 0);
    if (placedElsewhere > item.rows) {
      let over = placedElsewhere - item.rows;
      for (let c = 0; c < row.length && over > 0; c++) {
        const take = Math.min(row[c]!, over);
        row[c]! -= take;
        over -= take;
      }
    }
    row[hostClass(W)] = item.rows - row.reduce((s, x, c) => (c === hostClass(W) ? s : s + x), 0);
    return row;
  });
}

/**
 * A small relaxation of the tiered (or cache) MIP that any LP solver settles in well under a second even
 * for thousands of items: its optimum is a proven lower bound on the MIP, used when the full LP
 * relaxation does not finish within the time limit. Three continuous variables per item (replicated,
 * sharded, host rows) instead of W + 2 integers. It relaxes in four valid steps, each of which can only
 * lower the optimum (so the LP optimum is <= the MIP optimum, hence <= the row-level optimum when
 * `lower` is set, proofs/bucket-certificate.md):
 * 1. the makespan max_w T_w is replaced by the mean over GPUs (max >= mean), per resource under full
 *    overlap (z >= T_{w,r} for all w gives z >= mean_w T_{w,r});
 * 2. 2 max(in_w, out_w) >= in_w + out_w for the all-to-all;
 * 3. latencies are dropped (they are non-negative);
 * 4. a sharded row costs the cheapest GPU's coefficient (per resource), and per-GPU memory is replaced by
 *    its total (replicated rows still fit the smallest GPU): every plan of the MIP maps to a point of
 *    this LP with no larger objective and satisfied constraints.
 */
export function aggregateBoundModel(scenario: Scenario, items: Bucket[], opts: { coalesce: boolean; lower?: boolean; space?: PlanSpace }): Model {
  const W = scenario.gpus.length;
  const us = 1 / TIME_UNIT_SEC;
  const classes = classList(W);
  const serial = scenario.training.overlap === 'serial';
  const sharded = W > 1 && opts.space !== 'cache';
  // GPUs with identical parameters and node are interchangeable: one representative per key.
  const key = (g: number) => {
    const x = scenario.gpus[g]!;
    return [x.memoryBytes, x.gatherBytesPerSec, x.gatherSecondsPerRow, x.bufferGatherBytesPerSec, x.bufferGatherSecondsPerRow, x.hostToGpuBytesPerSec, x.denseSecondsPerSample, x.batchSamples, x.node].join('|');
  };
  const reps = [...new Map(scenario.gpus.map((_, g) => [key(g), g])).values()];
  const meanOf = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;
  // per resource (serial: one total), mean over GPUs, seconds per unit
  type Res = number[];
  const resOf = (sec: ResourceSeconds): Res => {
    const gather = meanOf(sec.gatherSec);
    const link = meanOf(sec.hostLinkSec);
    const a2a = meanOf(sec.allToAllInSec) + meanOf(sec.allToAllOutSec);
    return serial ? [gather + link + a2a + sec.allReduceSec + sec.hostDramSec] : [gather, link, a2a, sec.allReduceSec, sec.hostDramSec];
  };
  const b = new ModelBuilder('scarec_aggregate_bound');
  const nRes = serial ? 1 : 5;
  const cost: Term[][] = Array.from({ length: nRes }, () => []);
  const memRep: Term[] = [];
  const memGpu: Term[] = [];
  const memHost: Term[] = [];
  items.forEach((item, i) => {
    const sums = opts.lower ? item.lowerSums : item.sums;
    const sec = (c: number) => resOf(resourceSeconds(scenario, unitLoads(scenario, item, classes[c]!, opts.coalesce, true, sums)));
    const table = scenario.tables[item.table]!;
    const m = (table.rowBytes + table.optimizerBytesPerRow) / MEM_UNIT_BYTES;
    const r = b.addVar(`r${i}`, { type: 'continuous', lower: 0, upper: item.rows });
    const h = b.addVar(`h${i}`, { type: 'continuous', lower: 0, upper: item.rows });
    const assign: Term[] = [{ var: r, coef: 1 }, { var: h, coef: 1 }];
    const add = (v: string, c: Res) => c.forEach((x, k) => x !== 0 && cost[k]!.push({ var: v, coef: x * us }));
    add(r, sec(REP));
    add(h, sec(hostClass(W)));
    memRep.push({ var: r, coef: m });
    memGpu.push({ var: r, coef: W * m });
    memHost.push({ var: h, coef: m });
    if (sharded) {
      const s = b.addVar(`s${i}`, { type: 'continuous', lower: 0, upper: item.rows });
      const per = reps.map((g) => sec(gpuClass(g)));
      add(s, per[0]!.map((_, k) => Math.min(...per.map((p) => p[k]!))));
      assign.push({ var: s, coef: 1 });
      memGpu.push({ var: s, coef: m });
    }
    b.addConstraint(`assign${i}`, assign, '=', item.rows);
  });
  const caps = scenario.gpus.map((_, g) => gpuEmbeddingCapacityBytes(scenario, g) / MEM_UNIT_BYTES);
  b.addConstraint('mem_rep', memRep, '<=', Math.min(...caps));
  b.addConstraint('mem_gpus', memGpu, '<=', caps.reduce((s, x) => s + x, 0));
  b.addConstraint('mem_host', memHost, '<=', scenario.host.memoryBytes / MEM_UNIT_BYTES);
  const z = b.addVar('z', { type: 'continuous', lower: 0, upper: null });
  const compute = scenario.gpus.map((_, w) => {
    const { denseSec, dedupSec } = computeSeconds(scenario, w, opts.coalesce);
    return (denseSec + dedupSec) * us;
  });
  if (serial) b.addConstraint('time', [{ var: z, coef: 1 }, ...cost[0]!.map((t) => ({ var: t.var, coef: -t.coef }))], '>=', compute.reduce((s, x) => s + x, 0) / W);
  else {
    b.addConstraint('time_compute', [{ var: z, coef: 1 }], '>=', Math.max(...compute));
    cost.forEach((terms, k) => b.addConstraint(`time_r${k}`, [{ var: z, coef: 1 }, ...terms.map((t) => ({ var: t.var, coef: -t.coef }))], '>=', 0));
  }
  b.setObjective('minimize', [{ var: z, coef: 1 }]);
  return b.build();
}
