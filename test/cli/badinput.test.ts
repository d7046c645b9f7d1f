import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scarec, type InprocResult } from '../helpers/inproc.js';

/**
 * Issue 14 "Bad input, every command": malformed and extreme inputs for each command, run in-process
 * through the CLI's entry function (src/cli/program.ts `run`, which main.ts calls). Each case gets what the
 * README promises: exit 2 naming the file and the field or line (or the option), exit 3 naming the short
 * resource and by how much, never a stack trace, never NaN, Infinity or a negative time or rate in output.
 * Every failing case runs twice: as text (one line on stderr) and with --json (one JSON error object on
 * stdout with the same exit code).
 */

const dir = mkdtempSync(join(tmpdir(), 'scarec-bad-'));
let n = 0;
const write = (name: string, data: unknown): string => {
  const f = join(dir, `${n++}-${name}`);
  writeFileSync(f, typeof data === 'string' || Buffer.isBuffer(data) ? (data as string | Buffer) : JSON.stringify(data));
  return f;
};

const tiny = JSON.parse(readFileSync('test/fixtures/tiny.json', 'utf8')) as Record<string, any>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const tinyFile = write('tiny.json', tiny);
const goodPlan = { tables: { A: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 4, at: 'host' }], B: [{ from: 0, to: 10, at: 'host' }] } };
const goodPlanFile = write('plan.json', goodPlan);
const folder = join(dir, 'a-folder');
mkdirSync(folder);
/** A file that cannot be read: mode 000 for a normal user; root reads anything, so /proc/self/mem (EIO). */
const unreadable = (() => {
  if (process.getuid?.() === 0) return '/proc/self/mem';
  const f = write('unreadable.json', tiny);
  chmodSync(f, 0);
  return f;
})();
const binary = write('binary.json', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)));
const empty = write('empty.json', '');
const truncated = write('truncated.json', JSON.stringify(tiny).slice(0, 90));
const dupKeys = write('dup.json', JSON.stringify(tiny).replace('"name":"tiny"', '"name":"tiny","name":"again"'));
const dupNested = write('dup-nested.json', JSON.stringify(tiny).replace('"rows":10,', '"rows":10,"rows":11,'));

const STACK = /\n\s+at .+[:(]\d+/;
const BAD_NUMBER = /\bNaN\b|\bInfinity\b/;

/** What the README promises for one outcome, checked on text and JSON output alike. */
function expectClean(r: InprocResult): void {
  expect(r.stdout + r.stderr).not.toMatch(STACK);
  expect(r.stdout).not.toMatch(BAD_NUMBER);
  expect(r.stderr).not.toMatch(/internal error/);
}

/** Negative times or rates anywhere in a JSON output. */
function negativeTimes(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => negativeTimes(x, `${path}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => (typeof x === 'number' && x < 0 && /(Sec|Seconds|Ms|PerSec)$/.test(k) ? [`${path}.${k}`] : negativeTimes(x, `${path}.${k}`)));
  return [];
}

interface Case {
  name: string;
  args: string[];
  code: number;
  /** what the message must say (the file, the field or line, the option, the resource) */
  says: RegExp[];
  /** for --json errors: the file and field the object names */
  file?: string;
  field?: RegExp;
}

async function check(c: Case): Promise<void> {
  const text = await scarec(c.args);
  expectClean(text);
  expect(text.code, `${c.name}: ${text.stderr}${text.stdout.slice(0, 400)}`).toBe(c.code);
  if (c.code !== 0) {
    expect(text.stdout, c.name).toBe('');
    const lines = text.stderr.trim().split('\n');
    // one line, or commander's usage error and its "(run with --help)" hint
    expect(lines.length, `${c.name}: ${text.stderr}`).toBeLessThanOrEqual(2);
    for (const re of c.says) expect(text.stderr, c.name).toMatch(re);
  }
  const json = await scarec([...c.args, '--json']);
  expectClean(json);
  expect(json.code, `${c.name} --json: ${json.stdout}`).toBe(c.code);
  const obj = JSON.parse(json.stdout) as Record<string, unknown>;
  expect(obj.scarecVersion).toMatch(/^\d+\.\d+\.\d+/);
  expect(negativeTimes(obj)).toEqual([]);
  if (c.code !== 0) {
    expect(json.stderr, `${c.name}: --json errors go to stdout only`).toBe('');
    expect(obj).toMatchObject({ error: true, exitCode: c.code });
    expect(['input', 'infeasible', 'backend', 'internal']).toContain(obj.kind);
    for (const re of c.says) expect(obj.message, c.name).toMatch(re);
    if (c.file !== undefined) expect(obj.file, c.name).toBe(c.file);
    if (c.field !== undefined) expect(String(obj.field), c.name).toMatch(c.field);
  }
}

const esc = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

/** The malformed-file cases every JSON input gets, for an argument position. */
function fileCases(label: string, argsFor: (file: string) => string[]): Case[] {
  return [
    { name: `${label}: missing file`, args: argsFor(join(dir, 'nope.json')), code: 2, says: [/nope\.json/, /not found/], file: join(dir, 'nope.json') },
    { name: `${label}: a folder`, args: argsFor(folder), code: 2, says: [esc(folder), /folder/] },
    { name: `${label}: unreadable`, args: argsFor(unreadable), code: 2, says: [esc(unreadable), /cannot read/] },
    { name: `${label}: empty`, args: argsFor(empty), code: 2, says: [esc(empty), /empty/] },
    { name: `${label}: binary`, args: argsFor(binary), code: 2, says: [esc(binary), /not valid JSON/] },
    { name: `${label}: truncated`, args: argsFor(truncated), code: 2, says: [esc(truncated), /not valid JSON/] },
  ];
}

describe('evaluate', () => {
  const ev = (scenario: string, plan = goodPlanFile) => ['evaluate', scenario, '--plan', plan];
  const scen = (mut: (s: any) => void, name = 'scenario.json') => {
    const s = clone(tiny);
    mut(s);
    return write(name, s);
  };
  const cases: Case[] = [
    ...fileCases('scenario', (f) => ev(f)),
    ...fileCases('plan', (f) => ev(tinyFile, f)),
    { name: 'duplicate top-level key', args: ev(dupKeys), code: 2, says: [esc(dupKeys), /duplicate key "name"/], file: dupKeys, field: /^name$/ },
    { name: 'duplicate nested key', args: ev(dupNested), code: 2, says: [/duplicate key "rows"/, /tables\[1\]\.rows/], field: /^tables\[1\]\.rows$/ },
    { name: 'missing field', args: ev(scen((s) => delete s.tables[0].rows)), code: 2, says: [/tables\[0\]\.rows/] },
    { name: 'mistyped field', args: ev(scen((s) => (s.tables[1].dim = '4'))), code: 2, says: [/tables\[1\]\.dim/] },
    { name: 'extra field', args: ev(scen((s) => (s.tables[0].colour = 'red'))), code: 2, says: [/tables\[0\]/, /colour/] },
    { name: '0 rows', args: ev(scen((s) => (s.tables[1].rows = 0))), code: 2, says: [/tables\[1\]\.rows/] },
    { name: 'negative bandwidth', args: ev(scen((s) => (s.links.hostToGpuBytesPerSec = -1))), code: 2, says: [/links\.hostToGpuBytesPerSec/] },
    { name: 'coefficient near 1e30', args: ev(scen((s) => (s.devices.gpuGatherBytesPerSec = 1e30))), code: 2, says: [/devices\.gpuGatherBytesPerSec/] },
    { name: 'latency near 1e30', args: ev(scen((s) => (s.links.latencySec = 1e30))), code: 2, says: [/links\.latencySec/] },
    { name: 'dim 2^30', args: ev(scen((s) => (s.tables[1].dim = 2 ** 30))), code: 2, says: [/tables\[1\]\.dim/] },
    { name: 'plan with a gap', args: ev(tinyFile, write('gap.json', { tables: { A: [{ from: 0, to: 1, at: 'host' }, { from: 2, to: 4, at: 'host' }], B: [{ from: 0, to: 10, at: 'host' }] } })), code: 2, says: [/tables\.A/, /gap/] },
    { name: 'plan with an overlap', args: ev(tinyFile, write('ovl.json', { tables: { A: [{ from: 0, to: 3, at: 'host' }, { from: 2, to: 4, at: 'host' }], B: [{ from: 0, to: 10, at: 'host' }] } })), code: 2, says: [/tables\.A/, /overlaps/] },
    { name: 'plan with an unknown table', args: ev(tinyFile, write('unk.json', { tables: { ...goodPlan.tables, Z: [{ from: 0, to: 1, at: 'host' }] } })), code: 2, says: [/tables\.Z/, /not in scenario/] },
    { name: 'plan missing a table', args: ev(tinyFile, write('miss.json', { tables: { A: goodPlan.tables.A } })), code: 2, says: [/tables\.B/] },
    { name: 'plan past the table', args: ev(tinyFile, write('past.json', { tables: { A: [{ from: 0, to: 5, at: 'host' }], B: goodPlan.tables.B } })), code: 2, says: [/tables\.A\[0\]\.to/] },
    { name: 'plan on a GPU out of range', args: ev(tinyFile, write('gpu.json', { tables: { A: [{ from: 0, to: 4, at: 'gpu', gpu: 2 }], B: goodPlan.tables.B } })), code: 2, says: [/tables\.A\[0\]\.gpu/, /out of range/] },
    { name: 'plan with a duplicate table key', args: ev(tinyFile, write('dupplan.json', `{"tables":{"A":[{"from":0,"to":4,"at":"host"}],"B":[{"from":0,"to":10,"at":"host"}],"A":[{"from":0,"to":4,"at":"replicated"}]}}`)), code: 2, says: [/duplicate key "A"/, /tables\.A/] },
    { name: 'empty plan array', args: ev(tinyFile, write('emptyarr.json', [])), code: 2, says: [/empty/] },
    { name: 'a BOM in the scenario is fine', args: ev(write('bom.json', `\ufeff${JSON.stringify(tiny)}`)), code: 0, says: [] },
    { name: 'missing --plan', args: ['evaluate', tinyFile], code: 2, says: [/--plan/] },
    { name: 'unknown option', args: [...ev(tinyFile), '--bogus'], code: 2, says: [/--bogus/] },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));

  it('extreme sizes: 1 row, 1e12 rows, dim 65536, 10,000 tables, 1,000 GPUs: exit 0 with finite, non-negative numbers', async () => {
    const big = (tables: number, gpus: number, rows: number, dim: number) => {
      const s = clone(tiny);
      s.tables = Array.from({ length: tables }, (_, i) => ({ name: `T${i}`, rows, dim, bytesPerElement: 4, pooling: 1, distribution: { kind: 'zipf', alpha: 1.05 } }));
      s.devices.gpus = gpus;
      s.devices.hostMemoryBytes = 1e18;
      s.training.globalBatch = gpus * 4;
      const plan = { tables: Object.fromEntries(s.tables.map((t: any) => [t.name, [{ from: 0, to: rows, at: 'host' }]])) };
      return ev(write('big.json', s), write('bigplan.json', plan));
    };
    for (const [tables, gpus, rows, dim] of [[1, 2, 1, 2], [2, 2, 1e12, 16], [1, 2, 1000, 65536], [10_000, 2, 100, 4], [3, 1000, 1000, 4]] as const) {
      const r = await scarec([...big(tables, gpus, rows, dim), '--json']);
      expectClean(r);
      expect(r.code, `${tables} tables, ${gpus} GPUs, ${rows} rows, dim ${dim}: ${r.stdout.slice(0, 300)}`).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.iterationSec).toBeGreaterThan(0);
      expect(out.throughputSamplesPerSec).toBeGreaterThan(0);
      expect(negativeTimes(out)).toEqual([]);
    }
  });

  it('property: any single-field mutation of a valid scenario gives exit 0 or 2 (never 1), a clean message naming the file, finite output', async () => {
    const paths: Array<[string[], unknown]> = [];
    const walk = (v: unknown, p: string[]) => {
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
      else paths.push([p, v]);
    };
    walk(tiny, []);
    const values = fc.oneof(
      fc.constantFrom<unknown>(null, true, '', 'x', [], {}, 0, -1, -0.5, 1e-300, 1e30, 1e308, -1e308, 2 ** 53, 0.5, 1e6),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(paths.length - 1), values, fc.boolean(), async (i, value, drop) => {
        const s = clone(tiny);
        const [p] = paths[i]!;
        let o: any = s;
        for (const k of p.slice(0, -1)) o = o[k];
        if (drop) delete o[p[p.length - 1]!];
        else o[p[p.length - 1]!] = value;
        const f = write('mut.json', s);
        const r = await scarec([...ev(f), '--json']);
        expectClean(r);
        expect([0, 2, 3]).toContain(r.code);
        const out = JSON.parse(r.stdout);
        if (r.code === 2) expect(out.file).toBe(f);
        if (r.code === 0) expect(negativeTimes(out)).toEqual([]);
      }),
      { numRuns: 150, seed: 14 },
    );
  });
});

describe('plans, property-based', () => {
  it('property: random ranges (gaps, overlaps, out of bounds, unknown tables, bad GPUs) give exit 0 or 2, never 1; exit 2 names the plan file and a table', async () => {
    const range = fc.record(
      {
        from: fc.oneof(fc.integer({ min: -2, max: 12 }), fc.constantFrom<unknown>(0.5, '0', null, 1e300)),
        to: fc.oneof(fc.integer({ min: -2, max: 12 }), fc.constantFrom<unknown>(2.5, '4', null, 1e300)),
        at: fc.constantFrom<unknown>('host', 'replicated', 'gpu', 'cache', 3),
        gpu: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom<unknown>(0.5, 'x')),
      },
      { requiredKeys: ['from', 'to', 'at'] },
    );
    const tableName = fc.constantFrom('A', 'B', 'Z', '');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(tableName, fc.array(range, { maxLength: 3 })), fc.option(fc.boolean()), async (tables, coalesce) => {
        const f = write('randplan.json', coalesce === null ? { tables } : { tables, coalesce });
        const r = await scarec(['evaluate', tinyFile, '--plan', f, '--json']);
        expectClean(r);
        expect([0, 2]).toContain(r.code);
        const out = JSON.parse(r.stdout);
        if (r.code === 2) {
          expect(out.file).toBe(f);
          expect(out.field).toMatch(/tables|coalesce|top level/);
        } else expect(negativeTimes(out)).toEqual([]);
      }),
      { numRuns: 200, seed: 140 },
    );
  });
});

describe('stats, property-based', () => {
  it('property: random bytes are counted as malformed lines (exit 0), or with --strict exit 2 naming file:line; never 1', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), fc.constantFrom('criteo', 'ids'), async (bytes, strict, format) => {
        const f = write('rand.tsv', Buffer.from(bytes));
        const r = await scarec(['stats', f, '--format', format, '--json', ...(strict ? ['--strict'] : [])]);
        expectClean(r);
        const out = JSON.parse(r.stdout);
        if (r.code === 2) {
          expect(strict).toBe(true);
          expect(out.file).toBe(f);
          expect(out.field).toMatch(/^line \d+$/);
        } else {
          expect(r.code).toBe(0);
          expect(out.malformed.lines).toBeGreaterThanOrEqual(0);
          expect(out.malformed.lines).toBeLessThanOrEqual(out.source.lines);
          for (const feat of Object.values(out.features) as Array<{ accesses: number; distinct: number }>) {
            expect(feat.distinct).toBeLessThanOrEqual(feat.accesses);
            expect(feat.distinct).toBeGreaterThanOrEqual(0);
          }
        }
      }),
      { numRuns: 80, seed: 141 },
    );
  });
});

describe('expect', () => {
  const ex = (...a: string[]) => ['expect', ...a];
  const cases: Case[] = [
    { name: '--lookups 0.5 (issue 17)', args: ex('--dist', 'uniform', '--rows', '10', '--lookups', '0.5'), code: 2, says: [/--lookups/, /integer/], field: /--lookups/ },
    { name: '--lookups -1', args: ex('--dist', 'uniform', '--rows', '10', '--lookups', '-1'), code: 2, says: [/--lookups/] },
    { name: '--lookups 1e16', args: ex('--dist', 'uniform', '--rows', '10', '--lookups', '1e16'), code: 2, says: [/--lookups/] },
    { name: '--lookups abc', args: ex('--dist', 'uniform', '--rows', '10', '--lookups', 'abc'), code: 2, says: [/--lookups/, /not a number/] },
    { name: '--rows 0', args: ex('--dist', 'uniform', '--rows', '0', '--lookups', '3'), code: 2, says: [/--rows/] },
    { name: '--rows 1e300', args: ex('--dist', 'uniform', '--rows', '1e300', '--lookups', '3'), code: 2, says: [/--rows/] },
    { name: 'zipf:0', args: ex('--dist', 'zipf:0', '--rows', '10', '--lookups', '3'), code: 2, says: [/--dist/] },
    { name: 'zipf:1e30', args: ex('--dist', 'zipf:1e30', '--rows', '10', '--lookups', '3'), code: 2, says: [/--dist/] },
    { name: 'counts: missing file', args: ex('--dist', `counts:${join(dir, 'nope.json')}`, '--lookups', '3'), code: 2, says: [/nope\.json/] },
    { name: 'counts: a folder', args: ex('--dist', `counts:${folder}`, '--lookups', '3'), code: 2, says: [/folder/] },
    { name: 'counts: binary', args: ex('--dist', `counts:${binary}`, '--lookups', '3'), code: 2, says: [/not valid JSON/] },
    { name: 'counts: an object', args: ex('--dist', `counts:${write('obj.json', { a: 1 })}`, '--lookups', '3'), code: 2, says: [/array/] },
    { name: 'counts: a negative count', args: ex('--dist', `counts:${write('neg.json', [1, -2])}`, '--lookups', '3'), code: 2, says: [/\[1\]/] },
    { name: 'counts: 1e30 counts', args: ex('--dist', `counts:${write('huge.json', [1e30, 1])}`, '--lookups', '3'), code: 0, says: [] },
    { name: '1 row', args: ex('--dist', 'uniform', '--rows', '1', '--lookups', '5'), code: 0, says: [] },
    { name: '0 lookups', args: ex('--dist', 'zipf:1.05', '--rows', '1000000000000', '--lookups', '0'), code: 0, says: [] },
    { name: '1e12 rows', args: ex('--dist', 'zipf:1.05', '--rows', '1e12', '--lookups', '1000000'), code: 0, says: [] },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));

  it('property: the expected distinct rows lie in [min(1, K), min(K, N)] for integer K, any distribution', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant('uniform'), fc.double({ min: 0.01, max: 20, noNaN: true }).map((a) => `zipf:${a}`)),
        fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(1, 2, 1e6, 1e9, 1e12)),
        fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(0, 1, 1e6, 1e12, 1e15)),
        async (dist, N, K) => {
          const r = await scarec(ex('--dist', dist, '--rows', String(N), '--lookups', String(K), '--json'));
          expectClean(r);
          expect(r.code).toBe(0);
          const o = JSON.parse(r.stdout);
          const tol = 1e-9 * Math.max(1, K);
          expect(o.expectedUnique).toBeLessThanOrEqual(Math.min(K, N) + tol);
          expect(o.upper).toBeLessThanOrEqual(Math.min(K, N) + tol);
          expect(o.lower).toBeGreaterThanOrEqual(Math.min(1, K) - tol);
          expect(o.variance).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 120, seed: 17 },
    );
  });
});

describe('simulate', () => {
  const sim = (...a: string[]) => ['simulate', tinyFile, ...a];
  const cases: Case[] = [
    ...fileCases('scenario', (f) => ['simulate', f, '--batches', '2', '--seed', '1']),
    { name: '--batches 0', args: sim('--batches', '0', '--seed', '1'), code: 2, says: [/--batches/] },
    { name: '--batches -3', args: sim('--batches', '-3', '--seed', '1'), code: 2, says: [/--batches/] },
    { name: '--batches 1.5', args: sim('--batches', '1.5', '--seed', '1'), code: 2, says: [/--batches/] },
    { name: '--seed -1', args: sim('--batches', '2', '--seed', '-1'), code: 2, says: [/--seed/] },
    { name: '--cache-rows -1', args: sim('--batches', '2', '--seed', '1', '--cache-rows', '-1'), code: 2, says: [/--cache-rows/] },
    { name: 'plan with a gap', args: sim('--batches', '2', '--seed', '1', '--plan', write('sgap.json', { tables: { A: [{ from: 1, to: 4, at: 'host' }], B: goodPlan.tables.B } })), code: 2, says: [/tables\.A/, /gap/] },
    { name: '1 batch', args: sim('--batches', '1', '--seed', '1'), code: 0, says: [] },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));
  it('too many lookups to simulate (1,000 GPUs x 1e6 samples): exit 2 naming the table', async () => {
    const s = clone(tiny);
    s.devices.gpus = 1000;
    s.training.globalBatch = 1e9;
    await check({ name: 'huge batch', args: ['simulate', write('simbig.json', s), '--batches', '1', '--seed', '1'], code: 2, says: [/too many/, /tables\[/] });
  });
});

describe('plan, compare, export', () => {
  const badOptions = (cmd: string, extra: string[] = []): Case[] => [
    { name: `${cmd} --time-limit 0`, args: [cmd, tinyFile, ...extra, '--time-limit', '0'], code: 2, says: [/--time-limit/] },
    { name: `${cmd} --time-limit -5`, args: [cmd, tinyFile, ...extra, '--time-limit', '-5'], code: 2, says: [/--time-limit/] },
    { name: `${cmd} --gap 1.5`, args: [cmd, tinyFile, ...extra, '--gap', '1.5'], code: 2, says: [/--gap/] },
    { name: `${cmd} --gap -0.1`, args: [cmd, tinyFile, ...extra, '--gap', '-0.1'], code: 2, says: [/--gap/] },
    { name: `${cmd} --buckets 0`, args: [cmd, tinyFile, ...extra, '--buckets', '0'], code: 2, says: [/--buckets/] },
    { name: `${cmd} --buckets 1e9`, args: [cmd, tinyFile, ...extra, '--buckets', '1000000000'], code: 2, says: [/--buckets/] },
    { name: `${cmd} --solver cplex`, args: [cmd, tinyFile, ...extra, '--solver', 'cplex'], code: 2, says: [/--solver/] },
    ...fileCases(`${cmd} scenario`, (f) => [cmd, f, ...extra]),
  ];
  const infeasible = (() => {
    const s = clone(tiny);
    s.devices.hostMemoryBytes = 10;
    s.devices.gpuMemoryBytes = 10;
    return write('infeasible.json', s);
  })();
  const cases: Case[] = [
    ...badOptions('plan', ['--algo', 'greedy']),
    ...badOptions('compare'),
    { name: 'plan --algo bogus', args: ['plan', tinyFile, '--algo', 'bogus'], code: 2, says: [/--algo/] },
    { name: 'plan --target-width 0', args: ['plan', tinyFile, '--algo', 'exact', '--target-width', '0'], code: 2, says: [/--target-width/] },
    { name: 'plan: no memory anywhere -> exit 3 naming the resource and by how much', args: ['plan', infeasible, '--algo', 'greedy'], code: 3, says: [/memory/, /short by/] },
    { name: 'plan --algo exact: no memory anywhere -> exit 3', args: ['plan', infeasible, '--algo', 'exact', '--time-limit', '5'], code: 3, says: [/memory/, /short by/] },
    { name: 'compare: no memory anywhere -> exit 3', args: ['compare', infeasible, '--time-limit', '5'], code: 3, says: [/memory/, /short by/] },
    { name: 'evaluate is not an error for an overfull plan (it reports it)', args: ['evaluate', infeasible, '--plan', goodPlanFile], code: 0, says: [] },
    { name: 'plan --out into a missing folder', args: ['plan', tinyFile, '--algo', 'greedy', '--out', join(dir, 'no', 'such', 'p.json')], code: 2, says: [/does not exist/, /p\.json/] },
    { name: 'plan --out a folder', args: ['plan', tinyFile, '--algo', 'greedy', '--out', folder], code: 2, says: [/is a folder/] },
    { name: 'plan --out under a file', args: ['plan', tinyFile, '--algo', 'greedy', '--out', join(tinyFile, 'p.json')], code: 2, says: [/not a folder|does not exist/] },
    { name: 'plan --out a device', args: ['plan', tinyFile, '--algo', 'greedy', '--out', '/dev/full'], code: 2, says: [/not a regular file/] },
    { name: 'export --format xls', args: ['export', tinyFile, '--format', 'xls'], code: 2, says: [/--format/] },
    { name: 'export --algo greedy', args: ['export', tinyFile, '--format', 'lp', '--algo', 'greedy'], code: 2, says: [/--algo/] },
    { name: 'export --buckets 0', args: ['export', tinyFile, '--format', 'lp', '--buckets', '0'], code: 2, says: [/--buckets/] },
    { name: 'export --buckets 99999', args: ['export', tinyFile, '--format', 'lp', '--buckets', '99999'], code: 2, says: [/--buckets/] },
    { name: 'export --out into a missing folder', args: ['export', tinyFile, '--format', 'mps', '--out', join(dir, 'nope', 'm.mps')], code: 2, says: [/does not exist/] },
    ...fileCases('export scenario', (f) => ['export', f, '--format', 'lp']),
    { name: 'export --json', args: ['export', tinyFile, '--format', 'lp'], code: 0, says: [] },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));
  it('plan --algo host on 10,000 tables: exit 0, finite', async () => {
    const s = clone(tiny);
    s.tables = Array.from({ length: 10_000 }, (_, i) => ({ name: `T${i}`, rows: 10, dim: 4, bytesPerElement: 4, pooling: 1, distribution: { kind: 'uniform' } }));
    s.devices.hostMemoryBytes = 1e12;
    const r = await scarec(['plan', write('tables10k.json', s), '--algo', 'host', '--json']);
    expectClean(r);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).throughputSamplesPerSec).toBeGreaterThan(0);
  });
});

describe('solve', () => {
  const lp = (name: string, text: string | Buffer) => write(name, text);
  const cases: Case[] = [
    { name: 'missing file', args: ['solve', join(dir, 'no.lp')], code: 2, says: [/no\.lp/, /ENOENT|not found/] },
    { name: 'a folder', args: ['solve', folder], code: 2, says: [esc(folder)] },
    { name: 'unreadable', args: ['solve', unreadable.endsWith('.json') ? unreadable : '/proc/self/mem'], code: 2, says: [/cannot read|unknown file type/] },
    { name: 'unknown extension', args: ['solve', lp('m.txt', 'x')], code: 2, says: [/unknown file type/] },
    { name: 'empty .lp', args: ['solve', lp('empty.lp', '')], code: 2, says: [/empty\.lp/] },
    { name: 'binary .lp', args: ['solve', lp('bin.lp', Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]))], code: 2, says: [/bin\.lp/] },
    { name: 'truncated .lp', args: ['solve', lp('trunc.lp', 'Maximize\n obj: x + y\nSubject To\n c1: x + ')], code: 2, says: [/trunc\.lp/] },
    { name: 'empty .mps', args: ['solve', lp('empty.mps', '')], code: 2, says: [/empty\.mps/] },
    { name: 'truncated .mps', args: ['solve', lp('trunc.mps', 'NAME t\nROWS\n N obj\n L c1\nCOLUMNS\n x obj 1 c1')], code: 2, says: [/trunc\.mps/] },
    { name: 'binary .json', args: ['solve', lp('bin.json', Buffer.from([0, 1, 2, 255]))], code: 2, says: [/bin\.json/, /not valid JSON/] },
    { name: 'duplicate key in a model JSON', args: ['solve', lp('dup.json', '{"name":"m","sense":"max","sense":"min","variables":[],"constraints":[]}')], code: 2, says: [/duplicate key "sense"/], field: /^sense$/ },
    { name: '--time-limit 0', args: ['solve', lp('ok.lp', 'Maximize\n obj: x\nSubject To\n c1: x <= 3\nEnd\n'), '--time-limit', '0'], code: 2, says: [/--time-limit/] },
    { name: '--gap 2', args: ['solve', lp('ok2.lp', 'Maximize\n obj: x\nSubject To\n c1: x <= 3\nEnd\n'), '--gap', '2'], code: 2, says: [/--gap/] },
    { name: '--solver cplex', args: ['solve', lp('ok3.lp', 'Maximize\n obj: x\nSubject To\n c1: x <= 3\nEnd\n'), '--solver', 'cplex'], code: 2, says: [/--solver/] },
    { name: 'coefficients near 1e30', args: ['solve', lp('huge.lp', 'Maximize\n obj: 1e30 x\nSubject To\n c1: 1e30 x <= 3e30\nBounds\n x <= 10\nEnd\n')], code: 0, says: [] },
    { name: 'infeasible: exit 3', args: ['solve', lp('inf.lp', 'Maximize\n obj: x\nSubject To\n c1: x >= 5\n c2: x <= 3\nEnd\n')], code: 3, says: [/infeasible/] },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // solve prints its status (exit 3 included) on stdout as a result, not as an error message
    if (c.code === 3) {
      const r = await scarec(c.args);
      expectClean(r);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/infeasible/);
      const j = await scarec([...c.args, '--json']);
      expect(j.code).toBe(3);
      expect(JSON.parse(j.stdout).status).toBe('infeasible');
      return;
    }
    await check(c);
  });
});

describe('stats', () => {
  const line = ['1', ...Array.from({ length: 13 }, (_, i) => String(i)), ...Array.from({ length: 26 }, (_, j) => (j + 1).toString(16).padStart(8, '0'))].join('\t');
  const good = write('good.tsv', `${line}\n${line}\n`);
  const gz = gzipSync(Buffer.from(`${line}\n`.repeat(3000)));
  const cut = write('cut.tsv.gz', gz.subarray(0, Math.floor(gz.length / 2)));
  const bin = write('bin.tsv', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)));
  const cases: Case[] = [
    { name: 'missing file', args: ['stats', join(dir, 'none.tsv')], code: 2, says: [/none\.tsv/] },
    { name: 'a folder', args: ['stats', folder], code: 2, says: [/is a folder/], file: folder },
    { name: 'unreadable', args: ['stats', unreadable], code: 2, says: [esc(unreadable), /cannot read|read failed/] },
    { name: 'truncated .gz', args: ['stats', cut], code: 2, says: [esc(cut), /gzip/] },
    { name: 'empty file: 0 lines', args: ['stats', write('e.tsv', '')], code: 0, says: [] },
    { name: '1 line', args: ['stats', write('one.tsv', `${line}\n`)], code: 0, says: [] },
    { name: 'binary: malformed lines counted, exit 0', args: ['stats', bin], code: 0, says: [] },
    { name: 'binary --strict: exit 2 naming file:line', args: ['stats', bin, '--strict'], code: 2, says: [new RegExp(`${esc(bin).source}:1`)], file: bin, field: /^line 1$/ },
    { name: '--memory-mb 0', args: ['stats', good, '--memory-mb', '0'], code: 2, says: [/--memory-mb/] },
    { name: '--top-ids -1', args: ['stats', good, '--top-ids', '-1'], code: 2, says: [/--top-ids/] },
    { name: '--top-ids 1e12', args: ['stats', good, '--top-ids', '1000000000000'], code: 2, says: [/--top-ids/] },
    { name: '--format csv', args: ['stats', good, '--format', 'csv'], code: 2, says: [/--format/] },
    { name: '--out into a missing folder', args: ['stats', good, '--out', join(dir, 'gone', 'p.json')], code: 2, says: [/does not exist/] },
    { name: 'BOM on line 1 (issue 17)', args: ['stats', write('bom.tsv', `\ufeff${line}\n`), '--strict'], code: 0, says: [] },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));
});

describe('calibrate, validate, reproduce (the checks that come before any measurement)', () => {
  const profileFile = 'test/calibrate/fixtures/cpu-profile.json';
  const profileText = readFileSync(profileFile, 'utf8');
  const profile = JSON.parse(profileText) as Record<string, any>;
  const badProfile = write('badprofile.json', { ...profile, constants: { ...profile.constants, hostGatherBytesPerSec: 'fast' } });
  const dupProfile = write('dupprofile.json', profileText.replace('{', '{\n  "backend": "cpu",'));
  const cases: Case[] = [
    { name: 'calibrate --backend cuda', args: ['calibrate', '--backend', 'cuda'], code: 2, says: [/--backend/] },
    { name: 'calibrate --backend ""', args: ['calibrate', '--backend', ','], code: 2, says: [/--backend/] },
    { name: 'calibrate --out into a missing folder (checked first, issue 17)', args: ['calibrate', '--quick', '--out', join(dir, 'none', 'p.json')], code: 2, says: [/does not exist/] },
    { name: 'calibrate --out a folder', args: ['calibrate', '--quick', '--out', folder], code: 2, says: [/is a folder/] },
    { name: 'calibrate --out with two backends', args: ['calibrate', '--backend', 'cpu,webgpu', '--out', join(dir, 'x.json')], code: 2, says: [/--out/] },
    ...fileCases('validate scenario', (f) => ['validate', f, '--plan', goodPlanFile, '--profile', goodPlanFile]),
    ...fileCases('validate profile', (f) => ['validate', tinyFile, '--plan', goodPlanFile, '--profile', f]),
    { name: 'validate: a plan array', args: ['validate', tinyFile, '--plan', write('arr.json', [goodPlan]), '--profile', profileFile], code: 2, says: [/one plan/] },
    { name: 'validate: a mistyped profile constant', args: ['validate', tinyFile, '--plan', goodPlanFile, '--profile', badProfile], code: 2, says: [esc(badProfile), /constants\.hostGatherBytesPerSec/] },
    { name: 'validate: a duplicate key in the profile', args: ['validate', tinyFile, '--plan', goodPlanFile, '--profile', dupProfile], code: 2, says: [/duplicate key "backend"/], file: dupProfile },
    { name: 'validate: a profile of the wrong shape', args: ['validate', tinyFile, '--plan', goodPlanFile, '--profile', tinyFile], code: 2, says: [esc(tinyFile)] },
    { name: 'validate --iterations 0', args: ['validate', tinyFile, '--plan', goodPlanFile, '--profile', tinyFile, '--iterations', '0'], code: 2, says: [/--iterations/] },
    { name: 'validate --backend cuda', args: ['validate', tinyFile, '--plan', goodPlanFile, '--profile', tinyFile, '--backend', 'cuda'], code: 2, says: [/--backend/] },
    { name: 'reproduce --out a file', args: ['reproduce', '--out', tinyFile], code: 2, says: [/not a folder/] },
    { name: 'reproduce --out under a file', args: ['reproduce', '--out', join(tinyFile, 'sub')], code: 2, says: [/not a folder/] },
    ...fileCases('reproduce scenario', (f) => ['reproduce', '--out', join(dir, 'rep'), '--scenario', f]),
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));
});
