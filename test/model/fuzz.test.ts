import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { evaluate } from '../../src/model/evaluate.js';
import { checkPlan, uniformPlan } from '../../src/model/plan.js';
import { buildScenario, type Scenario } from '../../src/model/scenario.js';

// Robustness: random and mutated JSON fed to the scenario and plan parsers ends in a valid result or an
// InputError (exit 2 in the CLI), never another exception, and a valid input never yields NaN or Infinity.
const valid = {
  name: 'fuzz',
  tables: [
    { name: 'A', rows: 6, dim: 2, distribution: { kind: 'counts', counts: [5, 3, 1, 1, 0, 2] } },
    { name: 'B', rows: 1000, dim: 16, pooling: 3, optimizerBytesPerRow: 4, distribution: { kind: 'uniform' } },
  ],
  devices: { gpus: 3, gpuMemoryBytes: 5e4, gpuGatherBytesPerSec: 1e9, hostMemoryBytes: 1e7, hostGatherBytesPerSec: 1e8 },
  links: { hostToGpuBytesPerSec: 1e7, gpuToGpuBytesPerSec: 1e8, latencySec: 1e-6 },
  training: { globalBatch: 64, denseSecondsPerSample: 1e-6, overlap: 'full' },
};

const jsonValue = fc.oneof(
  fc.integer({ min: -10, max: 1e6 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -1, 1e300, -0, 0.5, 1e-300, 2 ** 53 + 1),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('zipf', 'uniform', 'counts', 'host', 'gpu', 'replicated', 'serial', 'full'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer({ min: -2, max: 10 }), { maxLength: 5 }),
  fc.constant({}),
);

/** All paths to leaves and objects inside a JSON value. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) out.push(...paths(c, [...prefix, Array.isArray(v) ? Number(k) : k]));
  return out;
}
function mutate(root: unknown, path: (string | number)[], value: unknown, del: boolean): unknown {
  if (path.length === 0) return del ? undefined : value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (del) delete node[last];
  else node[last] = value;
  return copy;
}

function assertFinite(value: unknown, where = ''): void {
  if (typeof value === 'number') expect(Number.isFinite(value), `${where} = ${value}`).toBe(true);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertFinite(v, `${where}.${k}`);
}

/** Either an InputError or a scenario; anything else fails the property. */
function tryBuild(data: unknown): Scenario | null {
  try {
    return buildScenario(data, { baseDir: '/nonexistent', file: 'fuzz.json' });
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
}

const allPaths = paths(valid);

describe('parsers never crash and valid inputs give finite numbers', () => {
  it('mutated scenarios', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(allPaths.length - 1), jsonValue, fc.boolean()), { minLength: 1, maxLength: 3 }),
        (mutations) => {
          let data: unknown = valid;
          for (const [i, v, del] of mutations) {
            const p = paths(data)[i % paths(data).length]!;
            data = mutate(data, p, v, del);
          }
          const s = tryBuild(data);
          if (!s) return;
          for (const at of ['host', 'replicated'] as const) {
            const e = evaluate(s, uniformPlan(s, at));
            assertFinite(e);
          }
        },
      ),
      { numRuns: 400, seed: 20261126 },
    );
  });

  it('random plans', () => {
    const s = tryBuild(valid)!;
    const range = fc.record(
      {
        from: fc.oneof(fc.nat(1200), fc.integer({ min: -3, max: 3 })),
        to: fc.oneof(fc.nat(1200), fc.constantFrom(6, 1000)),
        at: fc.constantFrom('host', 'gpu', 'replicated', 'moon'),
        gpu: fc.integer({ min: -1, max: 4 }),
      },
      { requiredKeys: ['from', 'to', 'at'] },
    );
    fc.assert(
      fc.property(fc.array(range, { maxLength: 4 }), fc.array(range, { maxLength: 4 }), fc.oneof(fc.boolean(), fc.constant('x')), (a, b, coalesce) => {
        let plan;
        try {
          plan = checkPlan({ coalesce, tables: { A: a, B: b } }, s, 'p.json');
        } catch (e) {
          if (e instanceof InputError) return;
          throw e;
        }
        assertFinite(evaluate(s, plan));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('random plans made valid by construction evaluate to finite numbers', () => {
    const s = tryBuild(valid)!;
    const cuts = (rows: number) => fc.uniqueArray(fc.integer({ min: 1, max: rows - 1 }), { maxLength: 4 }).map((c) => [0, ...c.sort((x, y) => x - y), rows]);
    const classes = fc.array(fc.constantFrom<[string, number?]>(['host'], ['replicated'], ['gpu', 0], ['gpu', 1], ['gpu', 2]), { minLength: 5, maxLength: 5 });
    fc.assert(
      fc.property(cuts(6), cuts(1000), classes, fc.boolean(), (ca, cb, cls, coalesce) => {
        const ranges = (c: number[]) =>
          c.slice(1).map((to, i) => {
            const [at, gpu] = cls[i]!;
            return gpu === undefined ? { from: c[i]!, to, at } : { from: c[i]!, to, at, gpu };
          });
        const plan = checkPlan({ coalesce, tables: { A: ranges(ca), B: ranges(cb) } }, s);
        const e = evaluate(s, plan);
        assertFinite(e);
        expect(e.iterationSec).toBeGreaterThan(0);
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});

describe('extreme but valid constants stay finite', () => {
  it('largest tables, smallest bandwidths, longest latencies', () => {
    const d = {
      name: 'extreme',
      tables: [{ name: 'B', rows: 1e13, dim: 1 << 20, bytesPerElement: 16, pooling: 1e4, optimizerBytesPerRow: 1e7, distribution: { kind: 'uniform' } }],
      devices: { gpus: 4096, gpuMemoryBytes: 0, gpuGatherBytesPerSec: 1, hostMemoryBytes: 1e18, hostGatherBytesPerSec: 1 },
      links: { hostToGpuBytesPerSec: 1, gpuToGpuBytesPerSec: 1, latencySec: 10 },
      training: { globalBatch: 1e9, denseSecondsPerSample: 10, activationBytesPerSample: 1e18 },
    };
    const s = tryBuild(d)!;
    for (const at of ['host', 'replicated'] as const) assertFinite(evaluate(s, uniformPlan(s, at)));
  });
  it('a bandwidth below 1 byte/s is rejected with the field named', () => {
    const d = structuredClone(valid);
    d.links.hostToGpuBytesPerSec = 5e-324;
    expect(() => buildScenario(d, { baseDir: '.', file: 'f.json' })).toThrow(/f\.json: links\.hostToGpuBytesPerSec: must be at least 1 byte\/s/);
  });
});
