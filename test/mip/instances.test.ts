/**
 * Public netlib LP and MIPLIB instances (test/mip/instances/manifest.json: file, source, published optimum)
 * solved by both WebAssembly backends. Each answer is either the published optimum within the stated
 * relative tolerance, or an honest stop at the time limit. Never a wrong optimum, never a wrong
 * infeasible or unbounded: a solution returned under a limit is never better than the optimum.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { solve } from '../../src/mip/solve.js';
import { DIR, MANIFEST, readInstance } from './instances.js';

/** Generous per-solve limit: the set takes about 20 s in all on a loaded 2-core machine. */
const LIMIT_SEC = 30;

describe('manifest', () => {
  it('names a source and a published answer for every committed instance', () => {
    const files = MANIFEST.instances.map((e) => e.file);
    expect(new Set(files).size).toBe(files.length);
    for (const e of MANIFEST.instances) {
      expect(e.source.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(e.source.path.endsWith(e.file.replace(/\.gz$/, ''))).toBe(true);
      if (e.expected.status === 'optimal') expect(Number.isFinite(e.expected.objective)).toBe(true);
      expect(() => readFileSync(join(DIR, e.file))).not.toThrow();
    }
  });
});

describe('public instances: published optimum or an honest time-limit stop, both backends', () => {
  for (const e of MANIFEST.instances.filter((x) => x.ci)) {
    for (const solver of ['glpk', 'highs'] as const) {
      it(`${e.file} with ${solver}: ${e.expected.status}${e.expected.status === 'optimal' ? ` ${e.expected.objective}` : ''}`, async () => {
        const model = await readInstance(e.file);
        const r = await solve(model, { solver, timeLimitSec: LIMIT_SEC });
        const exp = e.expected;
        if (exp.status !== 'optimal') {
          // a different final answer would be wrong; not finishing within the limit would be honest
          expect([exp.status, 'timelimit'], r.message).toContain(r.status);
          return;
        }
        expect(['optimal', 'timelimit'], r.message).toContain(r.status);
        const tol = exp.relativeTolerance * Math.max(1, Math.abs(exp.objective));
        if (r.status === 'optimal') {
          expect(Math.abs(r.objective! - exp.objective), `objective ${r.objective}`).toBeLessThanOrEqual(tol);
          // the proven bound is a bound: never better than the optimum
          if (r.bestBound !== null) expect(model.sense === 'minimize' ? r.bestBound - exp.objective : exp.objective - r.bestBound).toBeLessThanOrEqual(tol);
        } else if (r.objective !== null) {
          // an incumbent under a limit is feasible, so it cannot beat the optimum
          expect(model.sense === 'minimize' ? exp.objective - r.objective : r.objective - exp.objective).toBeLessThanOrEqual(tol);
        }
      }, 4 * LIMIT_SEC * 1e3);
    }
  }
});
