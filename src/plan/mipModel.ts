import { InfeasibleError } from '../errors.js';
import { ModelBuilder, type Model, type Term } from '../mip/model.js';
import { computeSeconds, gpuEmbeddingCapacityBytes, resourceSeconds, type Loads, type ResourceSeconds } from '../model/loads.js';
import type { Scenario } from '../model/scenario.js';
import type { Bucket } from './buckets.js';
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
const MEM_UNIT_BYTES = 1e6;

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
  name?: string;
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
  const { space, coalesce } = opts;
  checkCapacity(scenario, space);
  const W = scenario.gpus.length;
  const lat = scenario.links.latencySec;
  const us = 1 / TIME_UNIT_SEC;
  const classes = classList(W);
  const binary = space === 'tablewise';
  // With one GPU, "sharded to gpu 0" and "replicated" cost the same (addRangeLoads counts both as
  // replicated); the model keeps only the replicated class. Table-wise with W > 1 has no replication.
  const allowed = (c: number): boolean => {
    if (c === hostClass(W)) return true;
    if (c === REP) return W === 1 || space !== 'tablewise';
    return W > 1 && space !== 'cache';
  };
  const b = new ModelBuilder(opts.name ?? `scarec_${space}`);
  const names: (string | undefined)[][] = items.map((_, i) =>
    classes.map((cls, c) => {
      if (!allowed(c)) return undefined;
      const tag = cls.at === 'replicated' ? 'r' : cls.at === 'host' ? 'h' : `g${cls.gpu}`;
      return b.addVar(`x${i}_${tag}`, binary ? { type: 'binary' } : { type: 'integer', lower: 0, upper: items[i]!.rows });
    }),
  );
  const rowsPerUnit = (i: number) => (binary ? items[i]!.rows : 1);
  const loadsOf: (Loads | undefined)[][] = items.map((item, i) =>
    classes.map((cls, c) => (names[i]![c] ? unitLoads(scenario, item, cls, coalesce, !binary, opts.lower ? item.lowerSums : item.sums) : undefined)),
  );
  // Time coefficients by evaluate's own conversion of loads to seconds (resourceSeconds), per unit.
  const secOf: (ResourceSeconds | undefined)[][] = loadsOf.map((row) => row.map((l) => (l ? resourceSeconds(scenario, l) : undefined)));
  // Every row of every item is placed exactly once.
  items.forEach((item, i) => {
    const terms = names[i]!.filter((v): v is string => v !== undefined).map((v) => ({ var: v, coef: 1 }));
    b.addConstraint(`assign${i}`, terms, '=', binary ? 1 : item.rows);
  });

  const nodes = [...new Set(scenario.gpus.map((g) => g.node))].sort((a, c) => a - c);
  const gpusOfNode = new Map(nodes.map((n) => [n, scenario.gpus.filter((g) => g.node === n).map((g) => g.index)]));
  const sharded = W > 1 && space !== 'cache';
  // s_{i,n}: rows of item i sharded to GPUs of node n. The all-to-all bytes a GPU receives depend only on
  // the sender's node (gpuPairBytesPerSec), so in_w needs these aggregates, not every x_{i,g}.
  const sName: string[][] = [];
  if (sharded) {
    items.forEach((_, i) => {
      sName[i] = nodes.map((n) => {
        const v = b.addVar(`s${i}_n${n}`, { type: 'continuous', lower: 0, upper: null });
        const terms: Term[] = [{ var: v, coef: 1 }];
        for (const g of gpusOfNode.get(n)!) terms.push({ var: names[i]![gpuClass(g)]!, coef: -1 });
        b.addConstraint(`node${i}_n${n}`, terms, '=', 0);
        return v;
      });
    });
  }

  // Class-in-use indicators: latencies are paid only by classes with rows (iterationTerms).
  const totalUnits = items.reduce((s, it) => s + (binary ? 1 : it.rows), 0);
  const indicator = (tag: string, c: (i: number) => string[]) => {
    const y = b.addVar(`y_${tag}`, { type: 'binary' });
    const terms: Term[] = [];
    items.forEach((_, i) => c(i).forEach((v) => terms.push({ var: v, coef: 1 })));
    terms.push({ var: y, coef: -totalUnits });
    b.addConstraint(`use_${tag}`, terms, '<=', 0);
    return y;
  };
  const hasRep = items.length > 0 && names[0]![REP] !== undefined;
  const yRep = W > 1 && hasRep ? indicator('rep', (i) => [names[i]![REP]!]) : undefined;
  const yShard = sharded ? indicator('shard', (i) => sName[i]!) : undefined;
  const yHost = indicator('host', (i) => [names[i]![hostClass(W)]!]);

  // Memory per GPU and host (megabytes).
  for (let g = 0; g < W; g++) {
    const terms: Term[] = [];
    items.forEach((_, i) => {
      for (const c of [REP, gpuClass(g)]) {
        const v = names[i]![c];
        if (v) terms.push({ var: v, coef: loadsOf[i]![c]!.gpuMemoryBytes[g]! / MEM_UNIT_BYTES });
      }
    });
    b.addConstraint(`mem_gpu${g}`, terms, '<=', gpuEmbeddingCapacityBytes(scenario, g) / MEM_UNIT_BYTES);
  }
  b.addConstraint(
    'mem_host',
    items.map((_, i) => ({ var: names[i]![hostClass(W)]!, coef: loadsOf[i]![hostClass(W)]!.hostMemoryBytes / MEM_UNIT_BYTES })),
    '<=',
    scenario.host.memoryBytes / MEM_UNIT_BYTES,
  );

  // Symmetry breaking: interchangeable GPUs (same parameters, batch and node) are ordered by memory used.
  // Any plan can be permuted among them without changing its cost, so this keeps an optimum
  // (proofs/placement-mip.md) and spares branch and bound the mirror images.
  if (W > 1 && space !== 'cache') {
    const key = (g: number) => {
      const x = scenario.gpus[g]!;
      return [x.memoryBytes, x.gatherBytesPerSec, x.hostToGpuBytesPerSec, x.denseSecondsPerSample, x.batchSamples, x.node].join('|');
    };
    for (let g = 0; g + 1 < W; g++) {
      if (key(g) !== key(g + 1)) continue;
      const terms: Term[] = [];
      items.forEach((_, i) => {
        const m = loadsOf[i]![gpuClass(g)]!.gpuMemoryBytes[g]! / MEM_UNIT_BYTES;
        terms.push({ var: names[i]![gpuClass(g)]!, coef: m }, { var: names[i]![gpuClass(g + 1)]!, coef: -m });
      });
      b.addConstraint(`sym${g}`, terms, '>=', 0);
    }
  }
  const z = b.addVar('z', { type: 'continuous', lower: 0, upper: null });
  const H = hostClass(W);
  // Shared terms as defined variables: all-reduce and host DRAM seconds (same on every GPU).
  let ar: string | undefined;
  if (yRep) {
    ar = b.addVar('t_allreduce', { type: 'continuous', lower: 0, upper: null });
    const terms: Term[] = [{ var: ar, coef: -1 }];
    items.forEach((_, i) => terms.push({ var: names[i]![REP]!, coef: secOf[i]![REP]!.allReduceSec * us }));
    b.addConstraint('def_allreduce', terms, '=', 0);
  }
  const dram = b.addVar('t_hostdram', { type: 'continuous', lower: 0, upper: null });
  {
    const terms: Term[] = [{ var: dram, coef: -1 }];
    items.forEach((_, i) => terms.push({ var: names[i]![H]!, coef: secOf[i]![H]!.hostDramSec * us }));
    b.addConstraint('def_hostdram', terms, '=', 0);
  }

  for (let w = 0; w < W; w++) {
    const { denseSec, dedupSec } = computeSeconds(scenario, w, coalesce);
    // Local gathers: pooling reads of every row (class independent: the host class carries only them),
    // plus the extra HBM traffic of rows kept on this GPU.
    const gather: Term[] = [];
    let gatherConst = 0;
    items.forEach((item, i) => {
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
    const hostLink: Term[] = items.map((_, i) => ({ var: names[i]![H]!, coef: secOf[i]![H]!.hostLinkSec[w]! * us }));
    // All-to-all: a_w >= in_w and a_w >= out_w (epigraph of the max), seconds per phase.
    let a: string | undefined;
    if (sharded) {
      a = b.addVar(`a${w}`, { type: 'continuous', lower: 0, upper: null });
      const inTerms: Term[] = [{ var: a, coef: -1 }];
      const outTerms: Term[] = [{ var: a, coef: -1 }];
      items.forEach((_, i) => {
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
    const latUs = lat * us;
    if (scenario.training.overlap === 'serial') {
      const terms: Term[] = [{ var: z, coef: 1 }, ...gather.map((t) => ({ var: t.var, coef: -t.coef })), ...hostLink.map((t) => ({ var: t.var, coef: -t.coef }))];
      terms.push({ var: yHost, coef: -2 * latUs });
      if (a) terms.push({ var: a, coef: -2 }, { var: yShard!, coef: -2 * latUs });
      if (ar) terms.push({ var: ar, coef: -1 }, { var: yRep!, coef: -2 * (W - 1) * latUs });
      terms.push({ var: dram, coef: -1 });
      b.addConstraint(`time${w}`, terms, '>=', computeUs + gatherConstUs);
    } else {
      // Full overlap: the busiest resource (combineTerms 'full').
      b.addConstraint(`time${w}_compute`, [{ var: z, coef: 1 }], '>=', computeUs);
      b.addConstraint(`time${w}_gather`, [{ var: z, coef: 1 }, ...gather.map((t) => ({ var: t.var, coef: -t.coef }))], '>=', gatherConstUs);
      b.addConstraint(`time${w}_hostlink`, [{ var: z, coef: 1 }, ...hostLink.map((t) => ({ var: t.var, coef: -t.coef })), { var: yHost, coef: -2 * latUs }], '>=', 0);
      if (a) b.addConstraint(`time${w}_a2a`, [{ var: z, coef: 1 }, { var: a, coef: -2 }, { var: yShard!, coef: -2 * latUs }], '>=', 0);
    }
  }
  if (scenario.training.overlap === 'full') {
    const latUs = lat * us;
    if (ar) b.addConstraint('time_allreduce', [{ var: z, coef: 1 }, { var: ar, coef: -1 }, { var: yRep!, coef: -2 * (W - 1) * latUs }], '>=', 0);
    b.addConstraint('time_hostdram', [{ var: z, coef: 1 }, { var: dram, coef: -1 }], '>=', 0);
  }
  b.setObjective('minimize', [{ var: z, coef: 1 }]);
  return {
    model: b.build(),
    space,
    items,
    coalesce,
    varOf: (i, c) => names[i]![c],
    rowsPerUnit,
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
