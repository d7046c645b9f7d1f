import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeUnits } from '../../src/cli/run.js';
import { run } from '../../src/cli/program.js';
import { scarec } from '../helpers/inproc.js';

/**
 * Issue 16 "--json everywhere, errors too" and "Long work is silent": every command's JSON carries
 * scarecVersion and one naming scheme for times (seconds, keys ending in Sec); on a terminal the long
 * commands draw progress on stderr and nothing but the result on stdout; off a terminal or under --json
 * they draw none.
 */
const dir = mkdtempSync(join(tmpdir(), 'scarec-output-'));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const tiny = 'test/fixtures/tiny.json';
const plan = write('plan.json', JSON.stringify({ tables: { A: [{ from: 0, to: 4, at: 'host' }], B: [{ from: 0, to: 10, at: 'host' }] } }));
const lp = write('m.lp', 'Maximize\n obj: x + y\nSubject To\n c1: x + y <= 3\nBounds\n x <= 2\nGeneral\n x y\nEnd\n');
const criteo = write('c.tsv', `${['1', ...Array.from({ length: 13 }, () => '1'), ...Array.from({ length: 26 }, () => 'abc')].join('\t')}\n`);

const commands: string[][] = [
  ['expect', '--dist', 'zipf:1.05', '--rows', '1000', '--lookups', '10'],
  ['evaluate', tiny, '--plan', plan],
  ['simulate', tiny, '--batches', '3', '--seed', '1'],
  ['plan', tiny, '--algo', 'greedy'],
  ['plan', tiny, '--algo', 'exact', '--time-limit', '20'],
  ['compare', tiny, '--time-limit', '20'],
  ['export', tiny, '--format', 'mps'],
  ['solve', lp, '--solver', 'highs'],
  ['stats', criteo],
  ['scenario', '--arch-embedding-size', '10-20', '--arch-sparse-feature-size', '4'],
  ['plan', tiny, '--space', 'torchrec', '--time-limit', '20'],
  ['stats', '--merge', write('p1.json', JSON.stringify({ kind: 'scarec-frequency-profile', version: 1, format: 'ids', missing: 'skip', source: { files: [], lines: 2, bytes: 4, uncompressedBytes: 4 }, malformed: { lines: 0, byReason: { columns: 0, integer: 0, hex: 0, id: 0 }, first: [] }, memory: { budgetBytes: null, tableBytes: 0, approximateFeatures: [] }, features: { id: { accesses: 2, missing: 0, distinct: 1, countHistogram: [[2, 1]], topIds: [['7', 2]], top1PctShare: 1, top10PctShare: 1, zipfAlpha: null, zipfFit: { method: 'm', ranks: 1 }, malformed: 0, approximate: false, mergeable: { keys: [7], counts: [2], missingRowCount: 0 } } } }))],
];

/** Keys of numbers that name a time another way than ...Sec (the one scheme). */
function offScheme(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => offScheme(x, `${path}[${i}]`));
  if (v && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) => (typeof x === 'number' && (/[a-z](Seconds|Ms|Millis)$/.test(k) || k === 'seconds') ? [`${path}.${k}`] : offScheme(x, `${path}.${k}`)));
  return [];
}

describe('JSON output conventions', () => {
  it.each(commands.map((c) => [c.join(' '), c] as const))('%s --json: scarecVersion, times in ...Sec, nothing on stderr', async (_n, args) => {
    const r = await scarec([...args, '--json']);
    expect(r.code, r.stdout.slice(0, 300)).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.scarecVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(offScheme(out)).toEqual([]);
  });
  it('normalizeUnits: Seconds and Ms become Sec (Ms divided by 1000), arrays of times keep their names', () => {
    expect(normalizeUnits({ solveSeconds: 2, elapsedMs: 1500, nested: [{ totalSeconds: 1 }], roundSeconds: [1, 2], iterationSec: 4 })).toEqual({
      solveSec: 2,
      elapsedSec: 1.5,
      nested: [{ totalSec: 1 }],
      roundSeconds: [1, 2],
      iterationSec: 4,
    });
    expect(normalizeUnits({ seconds: 3 })).toEqual({ elapsedSec: 3 });
  });
});

describe('progress on a terminal (stderr only), none otherwise', () => {
  /** A terminal as cli-progress sees one: isTTY, columns, and escape codes written through write(). */
  const tty = () => {
    const s = { text: '', isTTY: true, columns: 120, write: (t: string) => ((s.text += t), true), on: () => s, removeListener: () => s };
    return s;
  };
  for (const args of [
    ['compare', tiny, '--time-limit', '20'],
    ['plan', tiny, '--algo', 'exact', '--time-limit', '20'],
    ['simulate', tiny, '--batches', '50', '--seed', '1'],
    ['solve', lp, '--solver', 'all'],
  ]) {
    it(`${args[0]}: a bar on stderr on a terminal; stdout holds only the result`, async () => {
      const out = tty();
      const err = tty();
      const code = await run(args, { stdout: out, stderr: err });
      expect(code).toBe(0);
      expect(err.text).toMatch(new RegExp(`${args[0]}( \\w+)? \\[`));
      expect(out.text).not.toMatch(/\[[█░]+\]|\u001b\[/);
      // off a terminal, and under --json on one: no progress
      const plain = await scarec(args);
      expect(plain.stderr).toBe('');
      const out2 = tty();
      const err2 = tty();
      expect(await run([...args, '--json'], { stdout: out2, stderr: err2 })).toBe(0);
      expect(err2.text).toBe('');
      JSON.parse(out2.text);
    });
  }
});
