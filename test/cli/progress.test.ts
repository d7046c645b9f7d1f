import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';
import { runCli } from '../helpers/cli.js';

/**
 * Issue 16 "no command silent on a terminal; solver log and MIP bound/incumbent where there is a solve":
 * SCAREC_PROGRESS=1 forces progress on (plain lines on stderr when stderr is not a terminal), even under
 * --json, where stdout still holds the one JSON object; SCAREC_PROGRESS=0 turns it off on a terminal.
 */
const dir = mkdtempSync(join(tmpdir(), 'scarec-progress-'));
// a 0-1 knapsack (maximise): GLPK and HiGHS branch on it and report incumbent and bound
const values = [12, 7, 15, 9, 11, 4, 13, 8, 10, 6, 14, 5, 9, 12, 7, 11];
const weights = [9, 5, 11, 7, 8, 3, 10, 6, 8, 4, 11, 4, 7, 9, 5, 8];
const lp = join(dir, 'knap.lp');
writeFileSync(
  lp,
  `Maximize\n obj: ${values.map((v, j) => `${v} x${j}`).join(' + ')}\nSubject To\n cap: ${weights.map((w, j) => `${w} x${j}`).join(' + ')} <= 47\nBinary\n ${values.map((_, j) => `x${j}`).join(' ')}\nEnd\n`,
);
const buf = (tty?: boolean) => {
  const s = { text: '', isTTY: tty, columns: 120, write: (t: string) => ((s.text += t), true), on: () => s, removeListener: () => s };
  return s;
};
/** incumbent and bound as numbers, from every progress line that has both */
const pairs = (stderr: string) =>
  [...stderr.matchAll(/incumbent (-?[\d.]+(?:e[+-]?\d+)?), bound (-?[\d.]+(?:e[+-]?\d+)?)/g)].map((m) => ({ incumbent: Number(m[1]), bound: Number(m[2]) }));

describe('SCAREC_PROGRESS', () => {
  for (const [name, args, sense] of [
    ['plan --algo exact', ['plan', 'test/fixtures/tiny.json', '--algo', 'exact'], 'max'],
    ['solve (glpk)', ['solve', lp, '--solver', 'glpk'], 'max'],
    ['solve (highs)', ['solve', lp, '--solver', 'highs'], 'max'],
  ] as const) {
    it(`${name} --json: stderr has incumbent/bound lines, stdout is the JSON result alone`, async () => {
      const out = buf();
      const err = buf();
      const code = await run([...args, '--json'], { stdout: out, stderr: err, env: { SCAREC_PROGRESS: '1' } });
      expect(code).toBe(0);
      const result = JSON.parse(out.text);
      expect(result.scarecVersion).toBeDefined();
      expect(out.text).not.toMatch(/incumbent \S+, bound/);
      // plain lines (stderr is not a terminal): no escape codes
      expect(err.text).not.toMatch(/\u001b\[/);
      const ps = pairs(err.text);
      expect(ps.length).toBeGreaterThan(0);
      // throughput and a maximised objective: the bound is above the incumbent (6 significant digits printed)
      if (sense === 'max') for (const p of ps) expect(p.bound).toBeGreaterThanOrEqual(p.incumbent * (1 - 1e-5));
      if (args[0] === 'solve') expect(ps.at(-1)!.incumbent).toBeCloseTo(result.objective, 3);
    }, 60_000);
  }

  it('0 turns progress off on a terminal; unset, progress is off under --json and off a terminal', async () => {
    const args = ['solve', lp, '--solver', 'glpk'];
    const err = buf(true);
    expect(await run(args, { stdout: buf(true), stderr: err, env: { SCAREC_PROGRESS: '0' } })).toBe(0);
    expect(err.text).toBe('');
    const err2 = buf();
    expect(await run([...args, '--json'], { stdout: buf(), stderr: err2, env: {} })).toBe(0);
    expect(err2.text).toBe('');
  });

  it('the built CLI reads it from the environment (its solves run in a worker from dist)', () => {
    const r = runCli(['plan', 'test/fixtures/tiny.json', '--algo', 'exact', '--json'], { env: { SCAREC_PROGRESS: '1' } });
    expect(r.code, r.stderr).toBe(0);
    JSON.parse(r.stdout);
    expect(r.stderr).toMatch(/^plan exact .*exact: branch and bound .*incumbent [\d.e+]+, bound [\d.e+]+/m);
  }, 120_000);
});
