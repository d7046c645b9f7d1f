import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { checkPlan } from '../../src/model/plan.js';
import { buildScenario, loadScenario } from '../../src/model/scenario.js';

const valid = () => ({
  name: 'v',
  tables: [
    { name: 'A', rows: 4, dim: 2, distribution: { kind: 'counts', counts: [4, 2, 1, 1] } },
    { name: 'B', rows: 10, dim: 4, pooling: 2, distribution: { kind: 'uniform' } },
  ],
  devices: { gpus: 2, gpuMemoryBytes: 1000, gpuGatherBytesPerSec: 1e9, hostMemoryBytes: 1e6, hostGatherBytesPerSec: 1e8 },
  links: { hostToGpuBytesPerSec: 1e7, gpuToGpuBytesPerSec: 1e8, latencySec: 1e-6 },
  training: { globalBatch: 4, denseSecondsPerSample: 1e-6 },
});
const build = (data: unknown) => buildScenario(data, { baseDir: tmpdir(), file: 's.json' });
/** the message of the InputError thrown by fn */
const inputError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
};

describe('scenario validation names the file and field', () => {
  it('unknown distribution kind', () => {
    const d = valid();
    (d.tables[0] as Record<string, unknown>).distribution = { kind: 'pareto' };
    expect(inputError(() => build(d))).toMatch(/^s\.json: tables\[0\]\.distribution\.kind/);
  });
  it('negative and non-integer rows', () => {
    const d = valid();
    d.tables[1]!.rows = -5;
    expect(inputError(() => build(d))).toMatch(/tables\[1\]\.rows/);
    d.tables[1]!.rows = 2.5;
    expect(inputError(() => build(d))).toMatch(/tables\[1\]\.rows/);
  });
  it('missing counts file', () => {
    const d = valid();
    (d.tables[0] as Record<string, unknown>).distribution = { kind: 'counts', file: 'nope.json' };
    expect(inputError(() => build(d))).toMatch(/nope\.json.*not found/);
  });
  it('more counts than rows', () => {
    const d = valid();
    d.tables[0]!.rows = 3;
    expect(inputError(() => build(d))).toMatch(/tables\[0\]\.distribution\.counts: 4 counts given but the table has 3 rows/);
  });
  it('a missing required constant says where it can come from', () => {
    const d = valid();
    delete (d.devices as Record<string, unknown>).gpuGatherBytesPerSec;
    expect(inputError(() => build(d))).toMatch(/devices\.gpuGatherBytesPerSec: required/);
  });
  it('a missing scenario file', () => {
    expect(inputError(() => loadScenario('/nonexistent/scenario.json'))).toMatch(/scenario\.json: scenario file not found/);
  });
  it('invalid JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-'));
    writeFileSync(join(dir, 'bad.json'), '{ "name": ');
    expect(inputError(() => loadScenario(join(dir, 'bad.json')))).toMatch(/bad\.json: not valid JSON/);
  });
  it('a device profile fills in constants the scenario leaves out (the scenario wins)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-'));
    writeFileSync(
      join(dir, 'p.json'),
      JSON.stringify({ kind: 'scarec-device-profile', version: 1, backend: 'cpu', device: 'x', date: '2026-11-26', constants: { gpuGatherBytesPerSec: 123, hostToGpuBytesPerSec: 7 } }),
    );
    const d = valid();
    delete (d.devices as Record<string, unknown>).gpuGatherBytesPerSec;
    (d.devices as Record<string, unknown>).profile = 'p.json';
    const s = buildScenario(d, { baseDir: dir, file: 's.json' });
    expect(s.gpus[0]!.gatherBytesPerSec).toBe(123);
    expect(s.gpus[0]!.hostToGpuBytesPerSec).toBe(1e7);
  });
});

describe('plan validation names the table and range', () => {
  const s = build(valid());
  const host = { from: 0, to: 10, at: 'host' };
  it('overlap', () => {
    expect(inputError(() => checkPlan({ tables: { A: [{ from: 0, to: 3, at: 'host' }, { from: 2, to: 4, at: 'host' }], B: [host] } }, s, 'p.json'))).toMatch(
      /p\.json: tables\.A\[1\]: range \[2, 4\) overlaps/,
    );
  });
  it('gap', () => {
    expect(inputError(() => checkPlan({ tables: { A: [{ from: 0, to: 1, at: 'host' }, { from: 2, to: 4, at: 'host' }], B: [host] } }, s, 'p.json'))).toMatch(
      /gap: ranks \[1, 2\)/,
    );
  });
  it('GPU index out of range', () => {
    expect(inputError(() => checkPlan({ tables: { A: [{ from: 0, to: 4, at: 'gpu', gpu: 2 }], B: [host] } }, s, 'p.json'))).toMatch(
      /tables\.A\[0\]\.gpu: GPU 2 is out of range/,
    );
  });
  it('unknown and missing tables', () => {
    expect(inputError(() => checkPlan({ tables: { A: [{ from: 0, to: 4, at: 'host' }], B: [host], Z: [host] } }, s, 'p.json'))).toMatch(/tables\.Z/);
    expect(inputError(() => checkPlan({ tables: { A: [{ from: 0, to: 4, at: 'host' }] } }, s, 'p.json'))).toMatch(/no ranges for table "B"/);
  });
  it('past the end of the table', () => {
    expect(inputError(() => checkPlan({ tables: { A: [{ from: 0, to: 5, at: 'host' }], B: [host] } }, s, 'p.json'))).toMatch(/"to" \(5\) is past/);
  });
});
