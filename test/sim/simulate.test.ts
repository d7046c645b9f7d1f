import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { evaluate } from '../../src/model/evaluate.js';
import { checkPlan, uniformPlan } from '../../src/model/plan.js';
import { buildScenario, loadScenario, type Scenario } from '../../src/model/scenario.js';
import type { ScenarioInput } from '../../src/model/schema.js';
import { zipfDistribution } from '../../src/stats/zipf.js';
import { simulate, type Simulation } from '../../src/sim/simulate.js';
import type { Comparison } from '../../src/sim/stats.js';

const zipfAvailable = (() => {
  try {
    zipfDistribution(1.05, 100);
    return true;
  } catch {
    return false;
  }
})();

function scenario(tables: ScenarioInput['tables'], gpus: number, globalBatch: number, extra: Partial<ScenarioInput['devices']> = {}): Scenario {
  return buildScenario(
    {
      name: 'sim-test',
      tables,
      devices: { gpus, gpuMemoryBytes: 1e9, gpuGatherBytesPerSec: 1e10, hostMemoryBytes: 1e10, hostGatherBytesPerSec: 1e9, ...extra },
      links: { hostToGpuBytesPerSec: 1e8, gpuToGpuBytesPerSec: 1e9, latencySec: 1e-6 },
      training: { globalBatch, denseSecondsPerSample: 1e-7 },
    },
    { baseDir: '.', file: 'sim-test' },
  );
}

/** every comparison of distinct rows and of bytes: |z| < 4 where there is spread, equality where there is none */
function expectConsistent(sim: Simulation): number {
  let checked = 0;
  const check = (c: Comparison, what: string) => {
    if (c.se > 0) {
      expect(Math.abs(c.z), `${what}: mean ${c.mean} vs ${c.expected} (se ${c.se})`).toBeLessThan(4);
      checked++;
    } else expect(c.mean, what).toBeCloseTo(c.expected, 9);
  };
  for (const t of sim.tables) {
    t.workers.forEach((w) => check(w, `${t.name} worker ${w.worker} distinct`));
    check(t.global, `${t.name} global distinct`);
    // the measured spread never exceeds what the variance bound allows by much (negative correlation)
    for (const w of [...t.workers, t.global]) expect(w.se).toBeLessThan(w.seBound * 1.2 + 1e-12);
  }
  for (const g of sim.gpus)
    for (const k of ['hostLinkBytes', 'allToAllInBytes', 'allToAllOutBytes', 'hbmBytes', 'allReduceBytes'] as const) check(g[k], `gpu${g.gpu} ${k}`);
  check(sim.host.dramBytes, 'host dram bytes');
  // Jensen: the iteration time (a max of linear loads) has mean >= its value at the expected loads
  expect(sim.iterationSec.mean).toBeGreaterThan(sim.iterationSec.expected - 4 * sim.iterationSec.se - 1e-15);
  return checked;
}

describe('simulate: realised means within 4 standard errors of the model', () => {
  it('test/fixtures/tiny.json (counts and uniform) with a replicated / sharded / host plan', () => {
    const s = loadScenario('test/fixtures/tiny.json');
    const plan = checkPlan(
      { name: 'mixed', tables: { A: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 2, at: 'gpu', gpu: 1 }, { from: 2, to: 4, at: 'host' }], B: [{ from: 0, to: 3, at: 'gpu', gpu: 0 }, { from: 3, to: 10, at: 'host' }] } },
      s,
    );
    const sim = simulate(s, plan, { batches: 4000, seed: 1 });
    expect(sim.batches).toBe(4000);
    expect(sim.lookupsPerBatch).toBe(4 * 1 + 4 * 2);
    // tiny: worker batches of 2 samples; A has pooling 1, B pooling 2
    expect(sim.tables[0]!.workers.map((w) => w.lookups)).toEqual([2, 2]);
    expect(sim.tables[1]!.global.lookups).toBe(8);
    expect(expectConsistent(sim)).toBeGreaterThan(15);
    expect(sim.expected.iterationSec).toBe(evaluate(s, plan).iterationSec);
  });
  it('uniform and counts tables, three GPUs, every placement class, coalesced and not', () => {
    const counts = Array.from({ length: 400 }, (_, i) => Math.floor(2000 / (i + 1)));
    const s = scenario(
      [
        { name: 'U', rows: 1000, dim: 8, pooling: 2, distribution: { kind: 'uniform' } },
        { name: 'C', rows: 500, dim: 16, pooling: 3, optimizerBytesPerRow: 4, distribution: { kind: 'counts', counts } },
      ],
      3,
      300,
    );
    const tables = {
      U: [{ from: 0, to: 100, at: 'replicated' }, { from: 100, to: 300, at: 'gpu', gpu: 2 }, { from: 300, to: 1000, at: 'host' }],
      C: [{ from: 0, to: 20, at: 'replicated' }, { from: 20, to: 60, at: 'gpu', gpu: 0 }, { from: 60, to: 200, at: 'gpu', gpu: 1 }, { from: 200, to: 500, at: 'host' }],
    };
    for (const coalesce of [true, false]) {
      const plan = checkPlan({ coalesce, tables }, s);
      const sim = simulate(s, plan, { batches: 1500, seed: 12 });
      expect(expectConsistent(sim)).toBeGreaterThan(20);
    }
  });
  it('a deterministic case reproduces evaluate term by term (one row per table: no randomness)', () => {
    const s = scenario(
      [
        { name: 'one', rows: 1, dim: 4, pooling: 3, distribution: { kind: 'uniform' } },
        { name: 'two', rows: 2, dim: 2, distribution: { kind: 'counts', counts: [5, 0] } },
      ],
      2,
      6,
    );
    const plan = checkPlan({ tables: { one: [{ from: 0, to: 1, at: 'gpu', gpu: 1 }], two: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 2, at: 'host' }] } }, s);
    const sim = simulate(s, plan, { batches: 20, seed: 3 });
    const e = evaluate(s, plan);
    sim.gpus.forEach((g, w) => {
      expect(g.hostLinkBytes.mean).toBeCloseTo(e.gpus[w]!.bytes.hostLink, 9);
      expect(g.allToAllInBytes.mean).toBeCloseTo(e.gpus[w]!.bytes.allToAllIn, 9);
      expect(g.allToAllOutBytes.mean).toBeCloseTo(e.gpus[w]!.bytes.allToAllOut, 9);
      expect(g.hbmBytes.mean).toBeCloseTo(e.gpus[w]!.bytes.hbm, 9);
      expect(g.allReduceBytes.mean).toBeCloseTo(e.gpus[w]!.bytes.allReduce, 9);
      expect(g.iterationSec.mean).toBeCloseTo(e.gpus[w]!.iterationSec, 15);
      expect(g.iterationSec.se).toBe(0);
    });
    expect(sim.iterationSec.mean).toBeCloseTo(e.iterationSec, 15);
    expect(sim.tables[0]!.workers.every((w) => w.mean === 1 && w.z === 0)).toBe(true);
  });
  it.runIf(zipfAvailable)('zipf tables (1e6 rows, alpha 1.05 and 0.8)', () => {
    const s = scenario(
      [
        { name: 'Z1', rows: 1e6, dim: 16, pooling: 4, distribution: { kind: 'zipf', alpha: 1.05 } },
        { name: 'Z2', rows: 5e4, dim: 8, distribution: { kind: 'zipf', alpha: 0.8 } },
      ],
      2,
      2048,
    );
    const plan = checkPlan(
      { tables: { Z1: [{ from: 0, to: 1000, at: 'replicated' }, { from: 1000, to: 1e6, at: 'host' }], Z2: [{ from: 0, to: 5e4, at: 'gpu', gpu: 1 }] } },
      s,
    );
    expect(expectConsistent(simulate(s, plan, { batches: 300, seed: 5 }))).toBeGreaterThan(8);
  });
});

describe('simulate: caches', () => {
  const counts = Array.from({ length: 2000 }, (_, i) => Math.max(1, Math.floor(1e5 / (i + 1) ** 1.1)));
  const s = scenario([{ name: 'C', rows: 2000, dim: 8, pooling: 2, distribution: { kind: 'counts', counts } }], 2, 200);
  const sim = simulate(s, uniformPlan(s, 'host'), { batches: 1500, seed: 8, cacheRows: 100, warmupBatches: 100 });
  const cache = sim.tables[0]!.cache!;
  it('static top-c hits per batch are within 4 se of sum_w E[distinct among ranks < c]', () => {
    expect(cache.countedBatches).toBe(1400);
    expect(cache.rowsPerCache).toBe(100);
    expect(Math.abs(cache.staticHitsPerBatch.z)).toBeLessThan(4);
    expect(cache.staticExpectedHitRate).toBeCloseTo(cache.staticHitsPerBatch.expected / sim.tables[0]!.workers.reduce((a, w) => a + w.expected, 0), 12);
  });
  it('no dynamic cache beats the static top-c cache on independent batches (proofs/simulator.md §4)', () => {
    // the margin is a few standard errors of a hit rate over ~1400 x 2 x 300 requests
    expect(cache.lruHitRate).toBeLessThan(cache.staticExpectedHitRate + 0.01);
    expect(cache.lfuHitRate).toBeLessThan(cache.staticExpectedHitRate + 0.01);
    expect(cache.lruHitRate).toBeGreaterThan(0.1);
    expect(cache.lfuHitRate).toBeGreaterThan(0.1);
    expect(cache.perWorker).toHaveLength(2);
  });
});

describe('simulate: reproducibility and options', () => {
  const s = loadScenario('test/fixtures/tiny.json');
  const plan = uniformPlan(s, 'host');
  it('the same seed gives the same report; another seed another', () => {
    const a = simulate(s, plan, { batches: 50, seed: 99, cacheRows: 1 });
    const b = simulate(s, plan, { batches: 50, seed: 99, cacheRows: 1 });
    const c = simulate(s, plan, { batches: 50, seed: 100, cacheRows: 1 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.tables)).not.toBe(JSON.stringify(c.tables));
  });
  it('bad options are InputErrors naming the option', () => {
    expect(() => simulate(s, plan, { batches: 0, seed: 1 })).toThrow(InputError);
    expect(() => simulate(s, plan, { batches: 0, seed: 1 })).toThrow(/--batches/);
    expect(() => simulate(s, plan, { batches: 5, seed: -2 })).toThrow(/--seed/);
    expect(() => simulate(s, plan, { batches: 5, seed: 1, cacheRows: 1.5 })).toThrow(/--cache-rows/);
  });
  it('reports only finite numbers', () => {
    const r = simulate(s, plan, { batches: 3, seed: 1, cacheRows: 0 });
    const bad: string[] = [];
    JSON.stringify(r, (k, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) bad.push(k);
      return v;
    });
    expect(bad).toEqual([]);
  });
});
