import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/model/evaluate.js';
import { resourceSeconds } from '../../src/model/loads.js';
import type { ScenarioInput } from '../../src/model/schema.js';
import {
  bucketedLoads,
  cacheGreedyPlan,
  classList,
  exactPlacement,
  fastLoads,
  greedyPlan,
  hostCoalescedPlan,
  makespanSec,
  scenarioBuckets,
  searchCounts,
  tablewiseGreedyPlan,
  tierRecords,
  unitLoads,
  type PlanItem,
} from '../../src/plan/index.js';
import { enumerateBest, scenarioOf, smallInput } from './helpers.js';

describe('greedy typed-array loads agree with the one cost function', () => {
  for (const [label, input] of [
    ['serial, 2 GPUs', smallInput({ gpuMemoryBytes: 2000 })],
    ['full overlap', smallInput({ overlap: 'full', gpuMemoryBytes: 2000 })],
    ['heterogeneous, 2 nodes', smallInput({ hetero: true, nodes: true })],
    ['1 GPU', smallInput({ gpus: 1, gpuMemoryBytes: 40 })],
  ] as const) {
    it(`${label}: makespan and memory of random counts (and after moves) = makespanSec(bucketedLoads)`, () => {
      const s = scenarioOf(input);
      const W = s.gpus.length;
      const items = scenarioBuckets(s, 2);
      const fast = fastLoads(s, items, true);
      let x = 99;
      const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const nC = classList(W).length;
      const allowed = (c: number) => !(W === 1 && c === 1);
      for (let trial = 0; trial < 30; trial++) {
        const counts = items.map((it) => {
          const row = new Array<number>(nC).fill(0);
          for (let r = 0; r < it.rows; r++) {
            let c: number;
            do c = Math.floor(rnd() * nC);
            while (!allowed(c));
            row[c]! += 1;
          }
          return row;
        });
        const st = fast.state(counts);
        const ref = bucketedLoads(s, items, counts, true);
        expect(fast.makespan(st)).toBeCloseTo(makespanSec(s, ref, true), 15);
        expect(fast.fits(st)).toBe(ref.gpuMemoryBytes.every((b, g) => b <= s.gpus[g]!.memoryBytes) && ref.hostMemoryBytes <= s.host.memoryBytes);
        // a move then its inverse returns to the same makespan; a move equals recomputation from counts
        const i = Math.floor(rnd() * items.length);
        const from = counts[i]!.findIndex((k) => k > 0);
        const to = W + 1 === from ? 0 : W + 1;
        fast.move(st, i, from, to, 1);
        counts[i]![from]! -= 1;
        counts[i]![to]! += 1;
        expect(fast.makespan(st)).toBeCloseTo(makespanSec(s, bucketedLoads(s, items, counts, true), true), 15);
      }
    });
  }

  for (const [label, input] of [
    ['serial, 2 GPUs', smallInput({ gpuMemoryBytes: 2000 })],
    ['heterogeneous, 2 nodes', smallInput({ hetero: true, nodes: true })],
    ['1 GPU', smallInput({ gpus: 1, gpuMemoryBytes: 40 })],
  ] as const) {
    it(`${label}: the tier step's three records (replicated, host, sum over GPUs of sharded) are fastLoads's own`, () => {
      const s = scenarioOf(input);
      const W = s.gpus.length;
      const nC = classList(W).length;
      const items = scenarioBuckets(s, 2);
      const fast = fastLoads(s, items, true);
      const { R, rec } = tierRecords(s, items, true);
      expect(R).toBe(fast.R);
      for (let i = 0; i < items.length; i++)
        for (let e = 0; e < R; e++) {
          const at = (c: number) => fast.unit[(i * nC + c) * R + e]!;
          let sharded = 0;
          if (W > 1) for (let g = 0; g < W; g++) sharded += at(1 + g);
          for (const [k, want] of [[0, at(0)], [1, at(W + 1)], [2, sharded]] as const) {
            const got = rec[(3 * i + k) * R + e]!;
            expect(Math.abs(got - want), `item ${i} record ${k} entry ${e}`).toBeLessThanOrEqual(1e-12 * Math.abs(want) + 1e-300);
          }
        }
    });
  }

  it('greedy is never better than the exact optimum and within 5% of it on a small tiered instance', async () => {
    const s = scenarioOf({ ...smallInput({ gpuMemoryBytes: 2000 }), tables: [
      { name: 'C', rows: 200, dim: 4, pooling: 3, distribution: { kind: 'counts', counts: Array.from({ length: 200 }, (_, i) => Math.floor(1000 / (i + 1)) + 1) } },
      { name: 'D', rows: 50, dim: 2, pooling: 1, distribution: { kind: 'counts', counts: Array.from({ length: 50 }, (_, i) => 60 - i) } },
    ] });
    const ex = await exactPlacement(s, { solver: 'highs', maxBuckets: 64, batches: [s.training.globalBatch] });
    const g = evaluate(s, greedyPlan(s));
    expect(g.feasible).toBe(true);
    expect(g.iterationSec).toBeGreaterThanOrEqual(ex.interval!.lowerIterationSec! * (1 - 1e-9));
    expect(g.iterationSec).toBeLessThanOrEqual(ex.evaluation.iterationSec * 1.05);
  });
});

describe('greedy batch search', () => {
  it('returns the candidate batch whose greedy plan has the highest throughput', async () => {
    const { greedyBatchSearch } = await import('../../src/plan/index.js');
    const { withGlobalBatch } = await import('../../src/model/scenario.js');
    const input = { ...smallInput({ gpuMemoryBytes: 200 }), training: { ...smallInput().training, activationBytesPerSample: 10, candidateBatches: [4, 8, 16, 64] } };
    const s = scenarioOf(input);
    const r = greedyBatchSearch(s);
    const per = [4, 8, 16].map((B) => evaluate(withGlobalBatch(s, B), greedyPlan(withGlobalBatch(s, B))).throughputSamplesPerSec);
    expect(evaluate(r.scenario, r.plan).throughputSamplesPerSec).toBeCloseTo(Math.max(...per), 9);
    expect(r.globalBatch).toBe([4, 8, 16][per.indexOf(Math.max(...per))]);
  });
});

describe('greedy unit records (linear basis) equal the one cost function item by item', () => {
  // direct: resourceSeconds of addRangeLoads of one row of the item (unitLoads), the record layout of fastLoads
  const direct = (s: ReturnType<typeof scenarioOf>, item: PlanItem, c: number): number[] => {
    const W = s.gpus.length;
    const l = unitLoads(s, item, classList(W)[c]!, true, true);
    const sec = resourceSeconds(s, l);
    return [...sec.gatherSec, ...sec.hostLinkSec, ...sec.allToAllInSec, ...sec.allToAllOutSec, ...l.gpuMemoryBytes, sec.allReduceSec, sec.hostDramSec, l.hostMemoryBytes];
  };
  const twins = (): ScenarioInput => {
    const base = smallInput({ gpuMemoryBytes: 2000 });
    // two tables of one shape (they share a basis) and one of another
    return { ...base, tables: [...base.tables, { ...base.tables[0]!, name: 'A2', rows: 5, distribution: { kind: 'counts', counts: [9, 1, 1, 1, 1] } }] };
  };
  for (const [label, input] of [
    ['serial, 2 GPUs', smallInput({ gpuMemoryBytes: 2000 })],
    ['heterogeneous batch shares on 2 nodes (one basis vector per worker)', smallInput({ hetero: true, nodes: true })],
    ['3 heterogeneous GPUs', smallInput({ hetero: true, gpus: 3 })],
    ['1 GPU', smallInput({ gpus: 1, gpuMemoryBytes: 40 })],
    ['tables of one shape share a basis', twins()],
  ] as const) {
    it(label, () => {
      const s = scenarioOf(input);
      const W = s.gpus.length;
      const nC = classList(W).length;
      const items = scenarioBuckets(s, 2);
      // an item whose workers of one K disagree, and one with per-worker masses: both costed directly
      const odd: PlanItem[] = [];
      if (W >= 2) {
        const it = items[0]!;
        odd.push({ ...it, sums: { ...it.sums, touchedPerWorker: Float64Array.from(it.sums.touchedPerWorker, (v, w) => v * (1 + 0.1 * w)) } });
        odd.push({ ...it, sums: { ...it.sums, massPerWorker: Float64Array.from(s.gpus, (_, w) => it.sums.mass * (1 + 0.2 * w)) } });
      }
      const all = [...items, ...odd];
      const fast = fastLoads(s, all, true);
      expect(fast.R).toBe(5 * W + 3);
      // records lent by a previous fast loads (shared item objects) are the same as computed afresh
      const lent = fastLoads(s, all, true, { items: [...items].reverse(), fast: fastLoads(s, [...items].reverse(), true) });
      expect(Array.from(lent.unit)).toEqual(Array.from(fast.unit));
      // a GPU's time with k more rows of (i, c), state unchanged, equals its time after adding them
      const counts = all.map((it) => classList(W).map((_, c) => (c === W + 1 ? it.rows : 0)));
      const st = fast.state(counts);
      all.forEach((_, i) =>
        classList(W).forEach((__, c) => {
          if (W === 1 && c === 1) return;
          for (let w = 0; w < W; w++) {
            const before = Array.from(st);
            const predicted = fast.gpuTimeWith(st, w, i, c, 3);
            expect(Array.from(st)).toEqual(before);
            fast.add(st, i, c, 3);
            expect(predicted).toBeCloseTo(fast.gpuTime(st, w), 18);
            fast.add(st, i, c, -3);
          }
        }),
      );
      all.forEach((item, i) =>
        classList(W).forEach((_, c) => {
          if (W === 1 && c === 1) return; // the unused gpu class of one GPU
          const want = direct(s, item, c);
          for (let e = 0; e < fast.R; e++) {
            const got = fast.unit[(i * nC + c) * fast.R + e]!;
            expect(Math.abs(got - want[e]!)).toBeLessThanOrEqual(1e-12 * Math.max(Math.abs(want[e]!), 1e-300) + 1e-300);
          }
        }),
      );
    });
  }
});

/** Tiny scenarios: every memory regime, both overlaps, one and two GPUs, small and large latency. */
function tinyCases(): Array<{ label: string; input: ScenarioInput }> {
  const out: Array<{ label: string; input: ScenarioInput }> = [];
  for (const gpuMemoryBytes of [20, 40, 60, 100, 2000])
    for (const overlap of ['serial', 'full'] as const)
      for (const gpus of [1, 2])
        for (const latencySec of [2e-7, 1e-5]) out.push({ label: `memory ${gpuMemoryBytes}, ${overlap}, ${gpus} GPU, latency ${latencySec}`, input: smallInput({ gpuMemoryBytes, overlap, gpus, latencySec }) });
  out.push({ label: 'heterogeneous, 2 nodes', input: smallInput({ hetero: true, nodes: true }) });
  return out;
}

/** Small generated scenarios (log-uniform rows up to maxRows, Zipf 0.8..1.3, GPU memory for ~30% of the bytes). */
function generatedInput(T: number, W: number, seed: number, maxRows = 3000): ScenarioInput {
  let x = seed >>> 0;
  const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const tables = Array.from({ length: T }, (_, i) => ({
    name: `t${i}`,
    rows: Math.round(5 * Math.pow(maxRows / 5, rnd())),
    dim: [8, 16, 32][Math.floor(rnd() * 3)]!,
    pooling: 1 + Math.floor(rnd() * 3),
    distribution: { kind: 'zipf' as const, alpha: 0.8 + 0.5 * rnd() },
  }));
  const bytes = tables.reduce((s, t) => s + t.rows * t.dim * 4, 0);
  return {
    name: `gen-${T}-${W}-${seed}`,
    tables,
    devices: { gpus: W, gpuMemoryBytes: (0.3 * bytes) / W, gpuGatherBytesPerSec: 1.2e12, hostMemoryBytes: 2 * bytes + 1e6, hostGatherBytesPerSec: 5e10 },
    links: { hostToGpuBytesPerSec: 2.5e10, gpuToGpuBytesPerSec: 2e11, latencySec: 1e-6 },
    training: { globalBatch: 256 * W, denseSecondsPerSample: 2e-9, overlap: 'serial' },
  };
}

describe('greedy is the same on every machine', () => {
  it('its plan does not depend on the clock: a clock that jumps 1 s per reading gives the same plan; the work cap binds deterministically', () => {
    const s = scenarioOf(generatedInput(12, 4, 7, 200000));
    const ref = greedyPlan(s);
    const now = performance.now.bind(performance);
    let fake = now();
    performance.now = () => (fake += 1000);
    try {
      expect(greedyPlan(s)).toEqual(ref);
      // a tiny cap stops the search early, the same way twice
      const capped = greedyPlan(s, { workBudget: 50 });
      expect(greedyPlan(s, { workBudget: 50 })).toEqual(capped);
    } finally {
      performance.now = now;
    }
    // on this instance the full search ends at a plan at least as good as the capped one (same start, more moves)
    expect(evaluate(s, ref).iterationSec).toBeLessThanOrEqual(evaluate(s, greedyPlan(s, { workBudget: 50 })).iterationSec * (1 + 1e-9));
  });
});

describe('greedy quality', () => {
  it('equals the exhaustive row-level optimum on tiny scenarios but for a few local optima, all within 1% (evaluate)', () => {
    const cases = tinyCases();
    let exact = 0;
    for (const { label, input } of cases) {
      const s = scenarioOf(input);
      const best = enumerateBest(s).iterationSec;
      const g = evaluate(s, greedyPlan(s));
      expect(g.feasible, label).toBe(true);
      expect(g.iterationSec, label).toBeGreaterThanOrEqual(best * (1 - 1e-12)); // nothing beats the enumeration
      expect(g.iterationSec, label).toBeLessThanOrEqual(best * 1.01);
      if (g.iterationSec <= best * (1 + 1e-9)) exact++;
    }
    // measured: 39 of 41; the two misses are local optima (full overlap, 2 GPUs, memory 40: 0.49% and 0.04%)
    expect(exact).toBeGreaterThanOrEqual(cases.length - 3);
  });

  it('is never worse than host-coalesced, cache-greedy and tablewise-greedy (tiny and small generated scenarios)', () => {
    const inputs = [...tinyCases().map((c) => c.input), ...[1, 2, 3, 4, 5, 6].map((seed) => generatedInput(4 + (seed % 3), seed % 2 ? 2 : 4, seed))];
    for (const input of inputs) {
      const s = scenarioOf(input);
      const g = evaluate(s, greedyPlan(s));
      expect(g.feasible).toBe(true);
      for (const plan of [hostCoalescedPlan(s), cacheGreedyPlan(s).plan, tablewiseGreedyPlan(s)]) {
        const e = evaluate(s, plan);
        if (e.feasible) expect(g.iterationSec, `${input.name} vs ${plan.algorithm}`).toBeLessThanOrEqual(e.iterationSec * (1 + 1e-9));
      }
    }
  });

  it('is within 0.1% of the HiGHS optimum (16 buckets per table) on small generated scenarios, and above its certified bound', async () => {
    for (const [T, W, seed] of [[4, 2, 2], [6, 2, 4], [4, 4, 5]] as const) {
      const s = scenarioOf(generatedInput(T, W, seed));
      const ex = await exactPlacement(s, { solver: 'highs', maxBuckets: 16, batches: [s.training.globalBatch] });
      expect(ex.status).toBe('optimal');
      const g = evaluate(s, greedyPlan(s));
      expect(g.iterationSec).toBeLessThanOrEqual(ex.evaluation.iterationSec * 1.001);
      expect(g.iterationSec).toBeGreaterThanOrEqual(ex.interval!.lowerIterationSec! * (1 - 1e-9));
    }
  });

  it('tiers on 32 buckets per table and a search on their segments (2 buckets per table) match greedy on 32; the 2-bucket tiers alone miss by over 1%', () => {
    // measured 2026-12-03: the fine tiers within 0.02% of 32 buckets on each; 2-bucket tiers 1.3% to 19.5% below
    for (const [T, W, seed, maxRows] of [[12, 4, 7, 200000], [8, 4, 3, 100000], [10, 8, 5, 300000]] as const)
      for (const overlap of ['serial', 'full'] as const) {
        const base = generatedInput(T, W, seed, maxRows);
        const s = scenarioOf({ ...base, training: { ...base.training, overlap } });
        const tp = (o: Parameters<typeof greedyPlan>[1]) => {
          const e = evaluate(s, greedyPlan(s, o));
          expect(e.feasible).toBe(true);
          return e.throughputSamplesPerSec;
        };
        // the tier step's effect, before the row-level rebalancing (step 5) narrows it (gen-12-4-7 full: the
        // 2-bucket plan came within 1% once rebalanced)
        const full = tp({ rebalance: false });
        const fineTiers = tp({ maxBuckets: 2, tierBuckets: 32, rebalance: false });
        const coarse = tp({ maxBuckets: 2, rebalance: false });
        expect(fineTiers, `${s.name} ${overlap}`).toBeGreaterThanOrEqual(full * (1 - 1e-3));
        expect(coarse, `${s.name} ${overlap}`).toBeLessThan(full * (1 - 1e-2));
        // and rebalancing never makes greedy's plan slower
        expect(tp({}), `${s.name} ${overlap}`).toBeGreaterThanOrEqual(full);
      }
  });

  it('searchCounts from random counts keeps every row, fits memory and never raises the makespan', () => {
    const s = scenarioOf(generatedInput(5, 4, 11));
    const W = s.gpus.length;
    const items = scenarioBuckets(s, 8);
    const fast = fastLoads(s, items, true);
    const nC = classList(W).length;
    let x = 7;
    const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 5; trial++) {
      // random rows on GPUs (a fraction small enough to fit), the rest on host
      const counts = items.map((it) => {
        const row = new Array<number>(nC).fill(0);
        const onGpu = Math.floor(it.rows * 0.05 * rnd());
        row[1 + Math.floor(rnd() * W)] = onGpu;
        row[nC - 1] = it.rows - onGpu;
        return row;
      });
      const st0 = fast.state(counts);
      expect(fast.fits(st0)).toBe(true);
      const before = fast.makespan(st0);
      searchCounts(fast, counts, { left: Number.MAX_SAFE_INTEGER });
      const st = fast.state(counts);
      expect(fast.fits(st)).toBe(true);
      counts.forEach((row, i) => expect(row.reduce((a, b) => a + b, 0)).toBe(items[i]!.rows));
      expect(counts.every((row) => row.every((k) => Number.isInteger(k) && k >= 0))).toBe(true);
      expect(fast.makespan(st)).toBeLessThanOrEqual(before * (1 + 1e-12));
      // the fast makespan is evaluate's on the bucket sums
      expect(fast.makespan(st)).toBeCloseTo(makespanSec(s, bucketedLoads(s, items, counts, true), true), 15);
    }
  });
});
