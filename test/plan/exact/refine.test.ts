import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextRoundBudget, ROUND_TIME_SHARE } from '../../../src/plan/exact/refine.js';

describe('nextRoundBudget: the cuts a refinement round can afford (proofs/placement-refinement.md, "Deadline")', () => {
  it('without a deadline any number of cuts', () => {
    expect(nextRoundBudget({ secondsLeft: undefined, lastRoundSec: 100, lastItems: 10, workNext: 9, workLast: 1 })).toEqual({ start: true, maxNewCuts: undefined, affordableItems: Infinity });
  });
  it('gen-T500-W64 at 60 s (measured 2026-12-04): 20.2 s left after a 17.5 s round of 4985 items affords none', () => {
    // 0.85 x 20.2 / (17.5 / 4985) = 4891 items in all, fewer than the 4985 it has
    expect(ROUND_TIME_SHARE).toBe(0.85);
    const b = nextRoundBudget({ secondsLeft: 20.2, lastRoundSec: 17.5, lastItems: 4985, workNext: 2, workLast: 2 });
    expect(b.affordableItems).toBe(Math.floor((0.85 * 20.2) / (17.5 / 4985)) - 4985);
    expect(b.affordableItems).toBeLessThan(0);
    expect(b.start).toBe(false);
  });
  it('gen-T500-W64 at 60 s, HiGHS (measured 2026-12-04 20:17): 32.1 s left after a 24.7 s round 0 of 3984 items starts round 1', () => {
    // 0.85 x 32.1 / (24.7 / 3984) = 4401 items, 417 new (>= 5% of 3984); at the old share 0.6, 3106: none. Round 1
    // (4283 items) then took 21.0 s and the call ended at 49.7 s
    const b = nextRoundBudget({ secondsLeft: 32.1, lastRoundSec: 24.7, lastItems: 3984, workNext: 2, workLast: 2 });
    expect(b.maxNewCuts).toBe(Math.floor((0.85 * 32.1) / (24.7 / 3984)) - 3984);
    expect(b.start).toBe(true);
  });
  it('the estimate scales with the ratio of steps: round 0 relaxed and certified 4 choices, the next round 2', () => {
    // 30 s for 1000 items and 4 steps: 7.5 ms per item and step; the next round's 2 steps make it 15 ms per item
    const b = nextRoundBudget({ secondsLeft: 40, lastRoundSec: 30, lastItems: 1000, workNext: 2, workLast: 4 });
    expect(b.affordableItems).toBe(Math.floor((ROUND_TIME_SHARE * 40) / 0.015) - 1000);
    expect(b.maxNewCuts).toBe(1266);
    expect(b.start).toBe(true);
  });
  it('growth is capped at max(256, 4 x items), and fewer than max(16, 5%) new cuts do not start a round', () => {
    expect(nextRoundBudget({ secondsLeft: 1e6, lastRoundSec: 1, lastItems: 10, workNext: 1, workLast: 1 }).maxNewCuts).toBe(256);
    expect(nextRoundBudget({ secondsLeft: 1e6, lastRoundSec: 1, lastItems: 1000, workNext: 1, workLast: 1 }).maxNewCuts).toBe(4000);
    // 1000 items in 1 s: 0.85 x 1.236 s affords 1050 items, 50 new ones = 5%: starts; 1.235 s affords 49: does not
    expect(nextRoundBudget({ secondsLeft: 1.236, lastRoundSec: 1, lastItems: 1000, workNext: 1, workLast: 1 }).start).toBe(true);
    expect(nextRoundBudget({ secondsLeft: 1.235, lastRoundSec: 1, lastItems: 1000, workNext: 1, workLast: 1 }).start).toBe(false);
    // small models: at least 16 new cuts (100 items in 1 ms: 1.36 ms left affords 115 items, 15 new; 1.37 ms, 16 new)
    expect(nextRoundBudget({ secondsLeft: 0.00136, lastRoundSec: 0.001, lastItems: 100, workNext: 1, workLast: 1 }).start).toBe(false);
    expect(nextRoundBudget({ secondsLeft: 0.00137, lastRoundSec: 0.001, lastItems: 100, workNext: 1, workLast: 1 }).start).toBe(true);
  });
  it('a started round\'s estimate (seconds per item x its items) stays within the share of the time left (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 600, noNaN: true }),
        fc.double({ min: 0.001, max: 300, noNaN: true }),
        fc.integer({ min: 1, max: 200000 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 16 }),
        (left, roundSec, items, workNext, workLast) => {
          const b = nextRoundBudget({ secondsLeft: left, lastRoundSec: roundSec, lastItems: items, workNext, workLast });
          if (!b.start) return;
          const secPerItem = (roundSec / items) * (workNext / Math.max(1, workLast));
          expect(b.maxNewCuts!).toBeGreaterThanOrEqual(16);
          expect(secPerItem * (items + b.maxNewCuts!)).toBeLessThanOrEqual(ROUND_TIME_SHARE * left * (1 + 1e-9));
        },
      ),
      { seed: 23, numRuns: 500 },
    );
  });
});
