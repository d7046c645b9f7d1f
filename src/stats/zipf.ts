import type { RankDistribution } from './distribution.js';

/** Zipf(alpha) over N ranked rows: p_i = (i+1)^-alpha / H_{N,alpha}. Implemented in issue #2 (stats). */
export function zipfDistribution(alpha: number, rows: number): RankDistribution {
  void alpha;
  void rows;
  throw new Error('zipfDistribution: not implemented yet');
}
