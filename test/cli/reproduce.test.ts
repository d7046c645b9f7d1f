import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/cli/commands/reproduce.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scarec-reproduce-'));

describe('scarec reproduce', () => {
  it('writes the report for --scenario into --out and prints the files as JSON', () => {
    const out = join(dir, 'r1');
    const r = runCli(['reproduce', '--scenario', 'test/fixtures/report-small.json', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.files.html).toBe(join(out, 'report.html'));
    expect(res.figures.map((f: { number: number }) => f.number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('## Figure 6.');
  }, 120_000);

  it('without --json prints where the files are and one reading per figure', () => {
    const out = join(dir, 'r2');
    const r = runCli(['reproduce', '--scenario', 'test/fixtures/report-small.json', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(join(out, 'report.html'));
    expect(r.stdout.match(/^Figure \d\. /gm)).toHaveLength(6);
  }, 120_000);

  it('bad input exits 2 naming the file: a missing scenario, a bad profile', () => {
    const a = runCli(['reproduce', '--scenario', 'nope.json', '--out', join(dir, 'r3')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/nope\.json: scenario file not found/);
    expect(a.stderr).not.toMatch(/\n\s+at /);
    const b = runCli(['reproduce', '--scenario', 'test/fixtures/report-small.json', '--profile', 'test/fixtures/tiny.json', '--out', join(dir, 'r4')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/tiny\.json: kind/);
  });

  it('the default scenario resolves against the package root, not the cwd', () => {
    expect(existsSync(join(packageRoot(), 'package.json'))).toBe(true);
    expect(existsSync(join(packageRoot(), 'models'))).toBe(true);
  });
});
