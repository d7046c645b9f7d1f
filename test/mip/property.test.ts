import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/mip/model.js';
import { SOLVERS } from '../../src/mip/result.js';
import { solve } from '../../src/mip/solve.js';
import { bruteForce } from './helpers.js';

/** Random small pure-integer MIPs with boxed variables, so exhaustive enumeration is the reference. */
const arbModel: fc.Arbitrary<Model> = fc
  .record({
    n: fc.integer({ min: 1, max: 5 }),
    m: fc.integer({ min: 1, max: 4 }),
    seedCoefs: fc.array(fc.integer({ min: -6, max: 6 }), { minLength: 5 * 4 + 5, maxLength: 5 * 4 + 5 }),
    bounds: fc.array(fc.tuple(fc.integer({ min: -3, max: 1 }), fc.integer({ min: 0, max: 3 })), { minLength: 5, maxLength: 5 }),
    rhs: fc.array(fc.integer({ min: -8, max: 12 }), { minLength: 4, maxLength: 4 }),
    senses: fc.array(fc.constantFrom('<=' as const, '>=' as const, '=' as const), { minLength: 4, maxLength: 4 }),
    maximize: fc.boolean(),
    binaryMask: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  })
  .map(({ n, m, seedCoefs, bounds, rhs, senses, maximize, binaryMask }) => {
    const vars = Array.from({ length: n }, (_, j) => {
      const binary = binaryMask[j]!;
      const [lo, hi] = bounds[j]!;
      return { name: `x${j}`, type: binary ? ('binary' as const) : ('integer' as const), lower: binary ? 0 : lo, upper: binary ? 1 : Math.max(lo, hi) };
    });
    return {
      name: 'random',
      sense: maximize ? 'maximize' : 'minimize',
      objective: { terms: vars.map((v, j) => ({ var: v.name, coef: seedCoefs[20 + j]! })).filter((t) => t.coef !== 0), constant: 0.5 },
      variables: vars,
      constraints: Array.from({ length: m }, (_, i) => ({
        name: `r${i}`,
        terms: vars.map((v, j) => ({ var: v.name, coef: seedCoefs[i * 5 + j]! })).filter((t) => t.coef !== 0),
        sense: senses[i]!,
        rhs: rhs[i]!,
      })),
    } satisfies Model;
  });

describe('random small MIPs: every backend agrees with exhaustive enumeration', () => {
  it('objectives within 1e-6 (relative), infeasibility recognised by all', async () => {
    await fc.assert(
      fc.asyncProperty(arbModel, async (model) => {
        const ref = bruteForce(model);
        for (const solver of SOLVERS) {
          const r = await solve(model, { solver });
          if (ref === null) {
            expect(r.status, `${solver} on ${JSON.stringify(model)}`).toBe('infeasible');
          } else {
            expect(r.status, `${solver} on ${JSON.stringify(model)}`).toBe('optimal');
            expect(Math.abs(r.objective! - ref.objective), `${solver} on ${JSON.stringify(model)}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref.objective)));
          }
        }
      }),
      { seed: 20240607, numRuns: 60 },
    );
  });
});
