import type { CheckedPlan } from '../model/plan.js';
import { uniformPlan } from '../model/plan.js';
import type { PlanRange } from '../model/schema.js';
import type { Scenario } from '../model/scenario.js';
import { gpuEmbeddingCapacityBytes } from '../model/loads.js';
import { parseAlgorithm, runAlgorithm, type Algorithm } from '../plan/index.js';

/**
 * What the report needs from the placement layer: a list of algorithms and a way to run one on a scenario.
 * The report never builds placements itself beyond the cache sweeps of figure 2; every plan of figures 3-5
 * comes from a provider, so the placement layer (src/plan) plugs in here without touching the figures.
 */
export interface PlanCertificate {
  /** solver status, e.g. "optimal", "timelimit" */
  status: string;
  /** best iteration time found (seconds): exact's row-level plan, or the MIP's objective */
  objectiveSec: number | null;
  /** proven lower bound on the iteration time (seconds): exact's certified row-level bound */
  boundSec: number | null;
  /** relative gap between objective and bound: exact's row-level bracket width (bound - plan) / plan in throughput */
  gap: number | null;
  solver?: string;
}

export interface PlanRun {
  algorithm: string;
  plan: CheckedPlan;
  /** present for exact solves */
  certificate?: PlanCertificate;
}

export interface PlanProvider {
  /** algorithms in display order; the first must be the B0 baseline ("host") */
  readonly algorithms: readonly string[];
  /** the algorithm whose plan is the proven optimum (figure 5), if the provider has one */
  readonly exactAlgorithm?: string;
  run(scenario: Scenario, algorithm: string): Promise<PlanRun>;
}

/** Top `cachedRows` ranks of every table at `at`, the rest on host (coalesced). Figure 2's sweep. */
export function topRowsPlan(scenario: Scenario, cachedRows: number, at: 'replicated' | 'gpu' = 'replicated', name?: string): CheckedPlan {
  const tables: Record<string, PlanRange[]> = {};
  for (const t of scenario.tables) {
    const c = Math.min(t.rows, Math.max(0, Math.floor(cachedRows)));
    const ranges: PlanRange[] = [];
    if (c > 0) ranges.push(at === 'gpu' ? { from: 0, to: c, at, gpu: 0 } : { from: 0, to: c, at });
    if (c < t.rows) ranges.push({ from: c, to: t.rows, at: 'host' });
    tables[t.name] = ranges;
  }
  return { name: name ?? `top-${cachedRows}`, coalesce: true, tables };
}

/** Top fraction `share` of every table's ranks replicated on every GPU, the rest on host. */
export function topShareReplicatedPlan(scenario: Scenario, share: number, name = 'replicate-top'): CheckedPlan {
  const tables: Record<string, PlanRange[]> = {};
  for (const t of scenario.tables) {
    const c = Math.min(t.rows, Math.floor(share * t.rows));
    const ranges: PlanRange[] = [];
    if (c > 0) ranges.push({ from: 0, to: c, at: 'replicated' });
    if (c < t.rows) ranges.push({ from: c, to: t.rows, at: 'host' });
    tables[t.name] = ranges;
  }
  return { name, algorithm: name, coalesce: true, tables };
}

/** The largest share s in [0, 1] such that the top s of every table, replicated, fits every GPU (bisection). */
export function largestReplicatedShare(scenario: Scenario): number {
  const capacity = Math.min(...scenario.gpus.map((_, g) => gpuEmbeddingCapacityBytes(scenario, g)));
  const bytes = (s: number) => scenario.tables.reduce((sum, t) => sum + Math.floor(s * t.rows) * (t.rowBytes + t.optimizerBytesPerRow), 0);
  if (capacity <= 0) return 0;
  if (bytes(1) <= capacity) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (bytes(mid) <= capacity) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Plans the report can make without the placement layer: B0 (host, no coalescing), B1 (host, coalesced)
 * and a simple frequency cache (the same top share of every table replicated, as much as fits). Used until
 * src/plan provides the full set (tablewise-greedy, cache-greedy, greedy, exact).
 */
export const builtinPlanProvider: PlanProvider = {
  algorithms: ['host', 'host-coalesced', 'replicate-top'],
  async run(scenario, algorithm) {
    if (algorithm === 'host') return { algorithm, plan: { ...uniformPlan(scenario, 'host', false, 'host'), algorithm } };
    if (algorithm === 'host-coalesced') return { algorithm, plan: { ...uniformPlan(scenario, 'host', true, 'host-coalesced'), algorithm } };
    if (algorithm === 'replicate-top') return { algorithm, plan: topShareReplicatedPlan(scenario, largestReplicatedShare(scenario)) };
    throw new Error(`unknown algorithm "${algorithm}" for the built-in plan provider`);
  },
};

/**
 * The placement layer (src/plan) as the report's provider: B0, B1, B2 (table-wise greedy), B3 (cache
 * greedy), the tiered greedy, the exact MIP and the exact optimum of the TorchRec space (issue 15: its gap to
 * exact in figure 5 is what the restriction to TorchRec's per-table choices costs). The exact solve is pinned to the instance's own batch (no
 * batch search) so every plan of an instance is costed at the same B; its certificate is the row-level bracket:
 * the plan's iteration time, the certified row-level lower bound on it, and their relative width.
 */
export function placementPlanProvider(opts: { timeLimitSec?: number; maxBuckets?: number; relativeGap?: number } = {}): PlanProvider {
  const algorithms: Algorithm[] = ['host', 'host-coalesced', 'tablewise-greedy', 'cache-greedy', 'greedy', 'exact', 'exact-torchrec'];
  return {
    algorithms,
    exactAlgorithm: 'exact',
    async run(scenario, algorithm) {
      const r = await runAlgorithm(scenario, parseAlgorithm(algorithm), {
        // 5 s and a 1e-4 relative gap per instance: the report solves about six instances in its budget.
        timeLimitSec: opts.timeLimitSec ?? 5,
        relativeGap: opts.relativeGap ?? 1e-4,
        maxBuckets: opts.maxBuckets,
        batches: [scenario.training.globalBatch],
      });
      const e = r.exact;
      const tr = r.torchrec;
      const us = (v: number | null) => (v === null ? null : v * 1e-6);
      return {
        algorithm,
        plan: r.plan,
        // the row-level bracket (issue 11): the plan's own iteration time, the certified row-level bound at this
        // batch and their relative width; never the bucketed model's gap, which says nothing about the real rows
        certificate: e
          ? {
              status: e.rowLevel.status,
              objectiveSec: e.evaluation.iterationSec,
              boundSec: e.rowLevel.boundSamplesPerSec !== null && e.rowLevel.boundSamplesPerSec > 0 ? e.globalBatch / e.rowLevel.boundSamplesPerSec : null,
              gap: e.rowLevel.relativeWidth,
              solver: e.solver,
            }
          : tr
            ? { status: tr.status, objectiveSec: us(tr.objective), boundSec: tr.throughputUpperSamplesPerSec ? tr.globalBatch / tr.throughputUpperSamplesPerSec : null, gap: tr.gap, solver: tr.solver }
            : undefined,
      };
    },
  };
}
