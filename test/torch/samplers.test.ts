import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { runPython, skipTorch, torchSkipNote } from '../helpers/torch.js';

/**
 * python/scarec_torch's samplers follow the laws of `scarec simulate` (src/sim/sampler.ts): chi-square of
 * 200,000 draws (fixed seeds) against the exact probabilities, bins merged to >= 20 expected. Accepted below
 * df + 4.5 sqrt(2 df) (about 4.5 standard deviations of the statistic: a correct sampler fails with p < 1e-4);
 * the same draws against a wrong law (alpha off by 0.03 to 0.1, a tilted uniform, counts in rank order instead
 * of id order) must exceed df + 8 sqrt(2 df), so the test has the power to see such errors.
 */
describe.skipIf(skipTorch)(`torch samplers: the simulator's distributions${torchSkipNote}`, () => {
  it('zipf (three skews, 50 to 2^20 ranks), uniform, counts with ties by row id', () => {
    const r = runPython([join(repoRoot, 'test', 'torch', 'check_samplers.py')]);
    expect(r.code).toBe(0);
    const res = r.json() as Array<{ name: string; chi2: number; df: number; wrongChi2: number; wrongDf: number }>;
    expect(res).toHaveLength(5);
    for (const c of res) {
      expect(c.df).toBeGreaterThan(10);
      expect(c.chi2, c.name).toBeLessThan(c.df + 4.5 * Math.sqrt(2 * c.df));
      expect(c.wrongChi2, `${c.name}: power`).toBeGreaterThan(c.wrongDf + 8 * Math.sqrt(2 * c.wrongDf));
    }
  });
});
