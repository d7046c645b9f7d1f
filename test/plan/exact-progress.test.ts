import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/model/scenario.js';
import { mipProgress } from '../../src/plan/exact/branch.js';
import { exactPlacement } from '../../src/plan/exact/index.js';
import type { WorkProgress } from '../../src/progress.js';

/**
 * Issue 16: exact's progress carries its solves' incumbent and bound, in exact's own terms (throughput,
 * samples/s: a bound above the incumbent), with the gap as (bound - incumbent) / incumbent.
 */
describe("exact's progress", () => {
  it('mipProgress: a pattern MIP in microseconds as throughput at its batch (closed form)', () => {
    // batch 1000, incumbent 2 us, bound 1 us: 5e8 and 1e9 samples/s, gap 1
    const p = mipProgress('branch and bound x', 1000, { elapsedSec: 0.1, incumbent: 2, bound: 1, gap: 0.5 });
    expect(p.stage).toBe('exact: branch and bound x');
    expect(p.incumbent).toBeCloseTo(5e8, 3);
    expect(p.bound).toBeCloseTo(1e9, 3);
    expect(p.gap).toBeCloseTo(1, 12);
    expect(mipProgress('s', 1000, { elapsedSec: 0, incumbent: null, bound: 0, gap: null })).toEqual({ stage: 'exact: s', incumbent: null, bound: null, gap: null });
  });

  it('tiny: the solves forward incumbent and bound; every event is consistent; the last is the certified bracket', async () => {
    const events: WorkProgress[] = [];
    const r = await exactPlacement(loadScenario('test/fixtures/tiny.json'), { onProgress: (p) => events.push(p) });
    // tiny branches (rounding does not settle it): its pattern MIPs report from the solver
    const fromSolver = events.filter((e) => /branch and bound|certify/.test(e.stage) && e.incumbent != null && e.bound != null);
    expect(fromSolver.length).toBeGreaterThan(0);
    for (const e of events) {
      if (e.incumbent == null || e.bound == null) continue;
      expect(e.bound).toBeGreaterThanOrEqual(e.incumbent * (1 - 1e-9));
      expect(e.gap).toBeCloseTo((e.bound - e.incumbent) / e.incumbent, 12);
    }
    // heartbeats: every usage pattern's LP of each relaxation is announced under its step's name, in order
    const beats = events.map((e) => /LP relaxations at batch (\d+)(, uncoalesced)?: pattern (\d+) of (\d+)$/.exec(e.stage)).filter((m) => m !== null);
    expect(beats.length).toBeGreaterThan(0);
    const n = Number(beats[0]![4]);
    expect(beats.slice(0, n).map((m) => Number(m![3]))).toEqual(Array.from({ length: n }, (_, k) => k + 1));
    const last = events.at(-1)!;
    expect(last.incumbent).toBeCloseTo(r.rowLevel.throughputSamplesPerSec, 6);
    expect(last.bound).toBeCloseTo(r.rowLevel.boundSamplesPerSec!, 6);
  }, 60_000);
});
