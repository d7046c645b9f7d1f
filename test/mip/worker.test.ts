import { describe, expect, it } from 'vitest';
import { solve } from '../../src/mip/solve.js';
import { knapsack, marketSplit } from './helpers.js';

describe('solving in a worker thread', () => {
  it('gives the same answer as in-process, with log lines relayed', async () => {
    const m = knapsack(25, 8);
    const inProcess = await solve(m, { solver: 'highs' });
    const lines: string[] = [];
    const inWorker = await solve(m, { solver: 'highs', worker: true, onLog: (l) => lines.push(l) });
    expect(inWorker.status).toBe('optimal');
    expect(inWorker.objective).toBe(inProcess.objective);
    expect(inWorker.values).toEqual(inProcess.values);
    expect(lines.length).toBeGreaterThan(0);
  });

  it('keeps the event loop free and can be cancelled', async () => {
    const hard = marketSplit(4, 40, 5);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(new Error('cancelled by test')), 800);
    const p = solve(hard, { solver: 'glpk', worker: true, signal: ac.signal });
    await expect(p).rejects.toThrow('cancelled by test');
    const sec = (performance.now() - t0) / 1e3;
    clearInterval(timer);
    // the timer kept ticking while the worker solved (a blocked loop would give ~0 ticks)
    expect(ticks).toBeGreaterThan(20);
    // cancelled long before the search would end (hours), with a margin for a loaded 2-core machine
    expect(sec).toBeLessThan(20);
  }, 60_000);
});
