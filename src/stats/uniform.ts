import type { Interval, RankDistribution } from './distribution.js';
import { touchProbability, touchVariance } from './touch.js';

const exact = (v: number): Interval => ({ value: v, lower: v, upper: v });

/** Uniform over N rows: every range sum is a closed form (proofs/touch-probability.md). */
export function uniformDistribution(rows: number): RankDistribution {
  const p = 1 / rows;
  const clampRange = (from: number, to: number) => Math.max(0, Math.min(to, rows) - Math.max(0, from));
  return {
    kind: 'uniform',
    rows,
    probability: (rank) => (rank >= 0 && rank < rows ? p : 0),
    mass: (from, to) => exact(clampRange(from, to) * p),
    touched: (from, to, lookups) => exact(clampRange(from, to) * touchProbability(p, lookups)),
    touchedVarianceBound: (from, to, lookups) => exact(clampRange(from, to) * touchVariance(p, lookups)),
    describe: () => `uniform(N=${rows})`,
  };
}
