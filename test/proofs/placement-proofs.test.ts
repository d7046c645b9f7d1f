import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Each proof names the test that checks it; make sure those tests exist with those names.
const proofs: Record<string, string[]> = {
  'proofs/placement-mip.md': ['test/plan/exact.test.ts'],
  'proofs/bucket-certificate.md': ['test/plan/exact.test.ts'],
  'proofs/caching-knapsack.md': ['test/plan/baselines.test.ts'],
  'proofs/tablewise.md': ['test/plan/exact.test.ts'],
};
describe('placement proofs point at existing tests', () => {
  for (const [proof, tests] of Object.entries(proofs)) {
    it(proof, () => {
      const text = readFileSync(proof, 'utf8');
      for (const t of tests) {
        expect(text).toContain(t);
        expect(existsSync(t)).toBe(true);
        const quoted = [...text.matchAll(/"([^"]+)"/g)].map((m) => m[1]!).filter((q) => q.length > 20);
        const src = readFileSync(t, 'utf8');
        expect(quoted.some((q) => src.includes(q))).toBe(true);
      }
    });
  }
});
