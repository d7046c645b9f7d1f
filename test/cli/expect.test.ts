import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scarec-expect-'));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('scarec expect', () => {
  it('uniform: the closed form, exact (lower = upper)', () => {
    const r = runCli(['expect', '--dist', 'uniform', '--rows', '1000', '--lookups', '500', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const closed = 1000 * (1 - (1 - 1 / 1000) ** 500);
    expect(out.expectedUnique).toBeCloseTo(closed, 9);
    expect(out.lower).toBe(out.upper);
    expect(out.exact).toBe(true);
    expect(out.rows).toBe(1000);
    expect(out.lookups).toBe(500);
    const f = closed / 1000;
    expect(out.variance).toBeCloseTo(1000 * f * (1 - f), 9);
  });
  it('zipf:1.05 at N = 1e8, K = 1e6: bounds of relative width <= 1e-9 around the value', () => {
    const r = runCli(['expect', '--dist', 'zipf:1.05', '--rows', '100000000', '--lookups', '1000000', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.dist).toBe('zipf');
    expect(out.alpha).toBe(1.05);
    expect(out.lower).toBeLessThanOrEqual(out.expectedUnique);
    expect(out.upper).toBeGreaterThanOrEqual(out.expectedUnique);
    expect((out.upper - out.lower) / out.expectedUnique).toBeLessThanOrEqual(1e-9);
    expect(out.expectedUnique).toBeGreaterThan(3e5); // ~316950
    expect(out.expectedUnique).toBeLessThan(3.2e5);
    expect(out.variance).toBeLessThan(out.expectedUnique);
  });
  it('counts:FILE implies the rows; the hand value for counts [5,3,0,2], K = 3 is 2.02', () => {
    const r = runCli(['expect', '--dist', `counts:${write('c.json', '[5, 3, 0, 2]')}`, '--lookups', '3', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toBe(4);
    expect(out.expectedUnique).toBeCloseTo(2.02, 12);
    expect(out.exact).toBe(true);
  });
  it('prints a readable line without --json', () => {
    const r = runCli(['expect', '--dist', 'zipf:2', '--rows', '1000', '--lookups', '10']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/expected distinct rows/);
  });
  it('bad input: exit 2 with a message naming the option, no stack trace', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--dist', 'pareto:2', '--rows', '10', '--lookups', '3'], /option --dist: unknown distribution "pareto"/],
      [['--dist', 'uniform', '--rows', '-5', '--lookups', '3'], /option --rows: must be at least 1/],
      [['--dist', 'uniform', '--rows', '2.5', '--lookups', '3'], /option --rows: .* not an integer/],
      [['--dist', 'uniform', '--lookups', '3'], /option --rows/],
      [['--dist', 'zipf:abc', '--rows', '10', '--lookups', '3'], /option --dist: zipf needs an exponent/],
      [['--dist', 'zipf:-1', '--rows', '10', '--lookups', '3'], /option --dist/],
      [['--dist', 'counts:/no/such/file.json', '--lookups', '3'], /option --dist: .*file\.json.*not found|option --dist: counts file not found/],
      [['--dist', `counts:${write('bad.json', '[1, -2]')}`, '--lookups', '3'], /bad\.json: \[1\]: count must be/],
      [['--dist', `counts:${write('zero.json', '[0, 0]')}`, '--lookups', '3'], /all counts are zero/],
      [['--dist', 'uniform', '--rows', '10', '--lookups', 'many'], /option --lookups/],
      [['--dist', 'uniform', '--rows', '10'], /--lookups/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['expect', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
      // under --json the same error is one JSON object on stdout, with the same exit code
      const j = runCli(['expect', ...args, '--json']);
      expect(j.code).toBe(2);
      expect(j.stderr).toBe('');
      const e = JSON.parse(j.stdout);
      expect(e).toMatchObject({ error: true, kind: 'input', exitCode: 2 });
      expect(`error: ${e.message}`).toMatch(message);
    }
  });
});
