import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scarec-sim-'));
const write = (name: string, data: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data));
  return f;
};
const plan = { name: 'mixed', tables: { A: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 4, at: 'host' }], B: [{ from: 0, to: 10, at: 'host' }] } };

describe('scarec simulate', () => {
  it('prints the comparison as one JSON object; means within 4 se of the expectation', () => {
    const r = runCli(['simulate', 'test/fixtures/tiny.json', '--plan', write('p.json', plan), '--batches', '3000', '--seed', '4', '--cache-rows', '2', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.plan).toBe('mixed');
    expect(out.batches).toBe(3000);
    expect(out.tables.map((t: { name: string }) => t.name)).toEqual(['A', 'B']);
    for (const t of out.tables) {
      for (const w of [...t.workers, t.global]) expect(Math.abs(w.z)).toBeLessThan(4);
      expect(t.cache.rowsPerCache).toBe(2);
      expect(t.cache.countedBatches).toBe(2400);
    }
    // uniform over 10 rows, 4 lookups per worker: E[distinct] = 10 (1 - 0.9^4) exactly
    expect(out.tables[1].workers[0].expected).toBeCloseTo(10 * (1 - 0.9 ** 4), 12);
    expect(Math.abs(out.gpus[0].hostLinkBytes.z)).toBeLessThan(4);
    expect(out.expected.iterationSec).toBeGreaterThan(0);
  });
  it('defaults to all rows on host, coalesced; the same seed prints the same report', () => {
    const a = runCli(['simulate', 'test/fixtures/tiny.json', '--batches', '20', '--seed', '7', '--json']);
    const b = runCli(['simulate', 'test/fixtures/tiny.json', '--batches', '20', '--seed', '7', '--json']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const out = JSON.parse(a.stdout);
    expect(out.plan).toBe('all-host');
    expect(out.coalesce).toBe(true);
    expect(out.tables[0].cache).toBeUndefined();
  });
  it('prints a readable table without --json', () => {
    const r = runCli(['simulate', 'test/fixtures/tiny.json', '--batches', '10', '--seed', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/table A: counts/);
    expect(r.stdout).toMatch(/gpu1 host link/);
  });
  it('bad input: exit 2 naming the option or file, no stack trace', () => {
    const cases: Array<[string[], RegExp]> = [
      [['simulate', 'test/fixtures/tiny.json', '--batches', '0', '--seed', '1'], /--batches/],
      [['simulate', 'test/fixtures/tiny.json', '--batches', '5', '--seed', 'x'], /--seed/],
      [['simulate', 'test/fixtures/tiny.json', '--batches', '5', '--seed', '1', '--cache-rows', '-3'], /--cache-rows/],
      [['simulate', 'test/fixtures/tiny.json', '--batches', '5', '--seed', '1', '--warmup', '9'], /--warmup/],
      [['simulate', 'nope.json', '--batches', '5', '--seed', '1'], /nope\.json/],
      [['simulate', 'test/fixtures/tiny.json', '--batches', '5', '--seed', '1', '--plan', write('gap.json', { tables: { A: [{ from: 0, to: 2, at: 'host' }], B: plan.tables.B } })], /gap\.json: tables\.A/],
      [['simulate', 'test/fixtures/tiny.json', '--seed', '1'], /--batches/],
    ];
    for (const [args, pattern] of cases) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
