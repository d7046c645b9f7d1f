import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frequencyProfileSchema } from '../../src/model/schema.js';
import { runCli } from '../helpers/cli.js';
import { criteoSample, describeWithCriteo } from '../helpers/criteo.js';

const sample = criteoSample;

/** Distinct values of each C column by awk, an independent program. */
function awkDistinct(files: string[]): number[] {
  const prog = '{for(j=15;j<=40;j++) if($j!="") a[j" "$j]=1} END{for(k in a){split(k,s," "); d[s[1]]++} for(j=15;j<=40;j++) print d[j]+0}';
  const r = spawnSync('awk', ['-F', '\t', prog, ...files], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').map(Number);
}

describeWithCriteo('scarec stats (CLI)', () => {
  it('--json and --out give the same schema-valid profile; distinct counts agree with awk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-cli-stats-'));
    const out = join(dir, 'profile.json');
    const r = runCli(['stats', ...sample, '--json', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    const { scarecVersion, ...profile } = printed;
    expect(scarecVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(written).toEqual(profile);
    expect(() => frequencyProfileSchema.parse(written)).not.toThrow();
    const distinct = awkDistinct(sample);
    expect(Object.values(written.features).map((f) => (f as { distinct: number }).distinct)).toEqual(distinct);
    // no progress bar when not on a terminal
    expect(r.stderr).not.toMatch(/lines\/s/);
  });

  it('prints a human summary without --json', () => {
    const r = runCli(['stats', sample[1]!]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^409 lines/);
    expect(r.stdout).toMatch(/\nC1 /);
  });

  it('--strict stops at a malformed line: exit 2 naming file:line, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-cli-bad-'));
    const file = join(dir, 'bad.tsv');
    const lines = readFileSync(sample[1]!, 'latin1').split('\n').slice(0, 3);
    lines[1] = lines[1]!.replace(/\t[0-9a-f]{8}\t/, '\tnothex!!\t');
    writeFileSync(file, lines.join('\n'));
    const lax = runCli(['stats', file, '--json']);
    expect(lax.code).toBe(0);
    expect(JSON.parse(lax.stdout).malformed.first[0].line).toBe(2);
    const strict = runCli(['stats', file, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain(`${file}:2`);
    expect(strict.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad options and missing files exit 2 with a message', () => {
    expect(runCli(['stats', sample[1]!, '--format', 'csv']).code).toBe(2);
    expect(runCli(['stats', sample[1]!, '--memory-mb', '-1']).code).toBe(2);
    const r = runCli(['stats', '/nonexistent/x.tsv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/x.tsv');
  });

  it('--memory-mb small enough makes the big features approximate and says so', () => {
    const r = runCli(['stats', ...sample, '--json', '--memory-mb', '1']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.memory.approximateFeatures.length).toBeGreaterThan(0);
    for (const name of p.memory.approximateFeatures) {
      expect(p.features[name].approximate).toBe(true);
      expect(p.features[name].countErrorBound).toBeGreaterThan(0);
    }
    expect(p.features.C9.approximate).toBe(false);
  });
});
