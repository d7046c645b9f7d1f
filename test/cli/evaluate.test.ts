import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scarec-cli-'));
const write = (name: string, data: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data));
  return f;
};
const plan = { tables: { A: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 4, at: 'host' }], B: [{ from: 0, to: 10, at: 'host' }] } };

describe('scarec evaluate', () => {
  it('prints the breakdown as JSON with the contract fields', () => {
    const r = runCli(['evaluate', 'test/fixtures/tiny.json', '--plan', write('p.json', plan), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.feasible).toBe(true);
    expect(out.iterationSec).toBeGreaterThan(0);
    expect(out.throughputSamplesPerSec).toBeCloseTo(4 / out.iterationSec, 9);
    expect(out.gpus).toHaveLength(2);
  });
  it('an array of plans gives { results: [...] } in order', () => {
    const all = { tables: { A: [{ from: 0, to: 4, at: 'host' }], B: [{ from: 0, to: 10, at: 'host' }] } };
    const r = runCli(['evaluate', 'test/fixtures/tiny.json', '--plan', write('ps.json', [plan, all, { ...all, coalesce: false }]), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.results).toHaveLength(3);
    expect(out.results[2].coalesce).toBe(false);
    // without coalescing the same placement moves more rows
    expect(out.results[2].iterationSec).toBeGreaterThan(out.results[1].iterationSec);
  });
  it('bad input: exit 2, one line naming the file and field, no stack trace', () => {
    const cases: Array<[string[], RegExp]> = [
      [['evaluate', 'nope.json', '--plan', write('p2.json', plan)], /nope\.json: scenario file not found/],
      [['evaluate', 'test/fixtures/tiny.json', '--plan', write('gap.json', { tables: { A: [{ from: 0, to: 2, at: 'host' }], B: plan.tables.B } })], /tables\.A: gap/],
      [['evaluate', 'test/fixtures/tiny.json', '--plan', write('bad.json', '{')], /bad\.json: not valid JSON/],
      [['evaluate', 'test/fixtures/tiny.json'], /required option/],
    ];
    for (const [args, pattern] of cases) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
