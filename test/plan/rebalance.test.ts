import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/model/evaluate.js';
import type { CheckedPlan } from '../../src/model/plan.js';
import type { PlanRange, ScenarioInput } from '../../src/model/schema.js';
import type { Scenario } from '../../src/model/scenario.js';
import { rebalanceShards } from '../../src/plan/rebalance.js';
import { enumerateBest, scenarioOf } from './helpers.js';

/** Per row of every table, its class as a string ('r', 'h', or the GPU's index). */
function rowClasses(s: Scenario, plan: CheckedPlan): string[][] {
  return s.tables.map((t) => {
    const out = new Array<string>(t.rows).fill('?');
    let at = 0;
    for (const r of plan.tables[t.name]!) {
      expect(r.from, `${t.name}: ranges are contiguous`).toBe(at);
      expect(r.to).toBeGreaterThan(r.from);
      for (let i = r.from; i < r.to; i++) out[i] = r.at === 'replicated' ? 'r' : r.at === 'host' ? 'h' : String(r.gpu);
      at = r.to;
    }
    expect(at, `${t.name}: every row placed`).toBe(t.rows);
    return out;
  });
}

function tinyInput(gpuMemoryBytes: number): ScenarioInput {
  return {
    name: 'rebalance-tiny',
    tables: [{ name: 'A', rows: 8, dim: 2, bytesPerElement: 4, pooling: 2, distribution: { kind: 'counts', counts: [16, 8, 6, 4, 3, 2, 1, 1] } }],
    devices: { gpus: 2, gpuMemoryBytes, gpuGatherBytesPerSec: 1e9, hostMemoryBytes: 1e6, hostGatherBytesPerSec: 2e8 },
    links: { hostToGpuBytesPerSec: 1e7, gpuToGpuBytesPerSec: 5e7, latencySec: 2e-7 },
    training: { globalBatch: 8, denseSecondsPerSample: 1e-7, overlap: 'serial' },
  };
}

describe('rebalanceShards', () => {
  it('moves the hot rows off the GPU that the rank-order layout overloads, memory exactly full, never past the enumerated optimum', () => {
    // 8 rows of 8 bytes (no optimizer state): memory for exactly 4 rows per GPU, so every move needs cold rows back
    const s = scenarioOf(tinyInput(32));
    const rankOrder: CheckedPlan = { name: 'p', algorithm: 'p', coalesce: true, tables: { A: [{ from: 0, to: 4, at: 'gpu', gpu: 0 }, { from: 4, to: 8, at: 'gpu', gpu: 1 }] } };
    const before = evaluate(s, rankOrder);
    expect(before.feasible).toBe(true);
    const r = rebalanceShards(s, rankOrder);
    expect(r.moves).toBeGreaterThan(0);
    expect(r.evaluation.iterationSec).toBeLessThan(before.iterationSec * (1 - 1e-6));
    expect(r.evaluation.iterationSec).toBe(evaluate(s, r.plan).iterationSec);
    expect(r.evaluation.feasible).toBe(true);
    const cls = rowClasses(s, r.plan)[0]!;
    expect(cls.filter((c) => c === '0').length).toBe(4); // memory full on both GPUs, as before
    expect(cls.filter((c) => c === '1').length).toBe(4);
    // every sharded-only assignment of the 8 rows (256 plans): none is beaten
    const best = enumerateBest(s, true, { classes: ['gpu'] });
    expect(r.evaluation.iterationSec).toBeGreaterThanOrEqual(best.iterationSec * (1 - 1e-12));
    // and it closes most of the way: 1.934 us -> 1.661 us against the optimum's 1.620 us (2.5% above it)
    expect(r.evaluation.iterationSec).toBeLessThan(best.iterationSec * 1.03);
  });

  it('returns one GPU and infeasible plans unchanged', () => {
    const one = scenarioOf({ ...tinyInput(64), devices: { ...tinyInput(64).devices, gpus: 1 } });
    const p1: CheckedPlan = { name: 'p', algorithm: 'p', coalesce: true, tables: { A: [{ from: 0, to: 8, at: 'gpu', gpu: 0 }] } };
    expect(rebalanceShards(one, p1).plan).toBe(p1);
    const s = scenarioOf(tinyInput(16)); // 2 rows per GPU: 4 + 4 does not fit
    const p2: CheckedPlan = { name: 'p', algorithm: 'p', coalesce: true, tables: { A: [{ from: 0, to: 4, at: 'gpu', gpu: 0 }, { from: 4, to: 8, at: 'gpu', gpu: 1 }] } };
    const r = rebalanceShards(s, p2);
    expect(r.plan).toBe(p2);
    expect(r.moves).toBe(0);
  });

  it('never makes a plan slower, keeps every row once, replicated and host rows where they were, memory within capacity', () => {
    const table = fc.record({
      rows: fc.integer({ min: 4, max: 120 }),
      dim: fc.constantFrom(2, 4, 8),
      pooling: fc.integer({ min: 1, max: 3 }),
      alpha: fc.double({ min: 0.6, max: 1.4, noNaN: true }),
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
      classes: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 6, maxLength: 6 }),
    });
    let moved = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(table, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 2, max: 4 }),
        fc.double({ min: 1.0, max: 1.3, noNaN: true }),
        fc.constantFrom<'serial' | 'full'>('serial', 'full'),
        fc.boolean(),
        (tables, W, slack, overlap, nodes) => {
          // ranges: cut points per table, classes: 0 replicated, 1 host, otherwise a GPU
          const ranges = tables.map((t) => {
            const cuts = [...new Set(t.cuts.map((c) => Math.floor(c * t.rows)).filter((c) => c > 0 && c < t.rows))].sort((a, b) => a - b);
            const bounds = [0, ...cuts, t.rows];
            return bounds.slice(1).map((to, k): PlanRange => {
              const c = t.classes[k]!;
              const from = bounds[k]!;
              return c === 0 ? { from, to, at: 'replicated' } : c === 1 ? { from, to, at: 'host' } : { from, to, at: 'gpu', gpu: (c - 2) % W };
            });
          });
          // GPU memory: the busiest GPU's need of this plan times `slack`
          const need = new Float64Array(W);
          let rep = 0;
          tables.forEach((t, i) =>
            ranges[i]!.forEach((r) => {
              const bytes = (r.to - r.from) * t.dim * 4;
              if (r.at === 'replicated') rep += bytes;
              else if (r.at === 'gpu') need[r.gpu!]! += bytes;
            }),
          );
          const memory = Math.max(1, rep + Math.max(...need)) * slack;
          const input: ScenarioInput = {
            name: 'rebalance-prop',
            tables: tables.map((t, i) => ({ name: `t${i}`, rows: t.rows, dim: t.dim, bytesPerElement: 4, pooling: t.pooling, distribution: { kind: 'zipf', alpha: t.alpha } })),
            devices: { gpus: W, gpuMemoryBytes: memory, gpuGatherBytesPerSec: 1e9, hostMemoryBytes: 1e7, hostGatherBytesPerSec: 2e8 },
            links: { hostToGpuBytesPerSec: 1e7, gpuToGpuBytesPerSec: 5e7, latencySec: 2e-7, ...(nodes ? { gpusPerNode: 1, interNodeBytesPerSec: 1e7 } : {}) },
            training: { globalBatch: 8 * W, denseSecondsPerSample: 1e-7, overlap },
          };
          const s = scenarioOf(input);
          const plan: CheckedPlan = { name: 'p', algorithm: 'p', coalesce: true, tables: Object.fromEntries(ranges.map((r, i) => [`t${i}`, r])) };
          const before = evaluate(s, plan);
          if (!before.feasible) return;
          const r = rebalanceShards(s, plan);
          runs++;
          if (r.moves > 0) moved++;
          expect(r.evaluation.feasible).toBe(true);
          expect(r.evaluation.iterationSec).toBeLessThanOrEqual(before.iterationSec);
          expect(r.evaluation.iterationSec).toBe(evaluate(s, r.plan).iterationSec);
          const was = rowClasses(s, plan);
          const now = rowClasses(s, r.plan);
          was.forEach((rows, t) => {
            rows.forEach((c, i) => {
              if (c === 'r' || c === 'h') expect(now[t]![i], `t${t} row ${i}`).toBe(c);
              else expect(now[t]![i] === 'r' || now[t]![i] === 'h', `t${t} row ${i} stays sharded`).toBe(false);
            });
          });
          if (r.moves === 0) expect(r.plan).toBe(plan);
        },
      ),
      { numRuns: 150, seed: 20261204 },
    );
    // the property is exercised by plans that did change (112 of the 150 with this seed), not only by inputs returned as they were
    expect(moved).toBeGreaterThan(runs / 10);
  });
});
