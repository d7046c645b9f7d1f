import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { computeStats, type StatsProfile } from '../../src/data/stats.js';
import { InputError } from '../../src/errors.js';
import { criteoSample, describeWithCriteo, haveCriteoSample } from '../helpers/criteo.js';

const sample = criteoSample;

/** Independent reference: string splits and a Map of strings, the obvious slow way. */
function reference(texts: string[], missingRow: boolean) {
  const maps = Array.from({ length: 26 }, () => new Map<string, number>());
  const missing = new Array<number>(26).fill(0);
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const cols = line.split('\t');
      expect(cols.length).toBe(40);
      for (let j = 0; j < 26; j++) {
        const v = cols[14 + j]!;
        if (v === '') missing[j]!++;
        else maps[j]!.set(v, (maps[j]!.get(v) ?? 0) + 1);
      }
    }
  }
  return maps.map((m, j) => {
    const entries = [...m];
    if (missingRow && missing[j]! > 0) entries.push(['', missing[j]!]);
    entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const hist = new Map<number, number>();
    for (const [, c] of entries) hist.set(c, (hist.get(c) ?? 0) + 1);
    const accesses = entries.reduce((s, [, c]) => s + c, 0);
    const shareOfTop = (n: number) => entries.slice(0, n).reduce((s, [, c]) => s + c, 0) / accesses;
    return {
      accesses,
      missing: missing[j]!,
      distinct: entries.length,
      histogram: [...hist].sort((a, b) => b[0] - a[0]),
      top: entries.slice(0, 1000),
      top1: shareOfTop(Math.ceil(entries.length / 100)),
      top10: shareOfTop(Math.ceil(entries.length / 10)),
    };
  });
}

function expectMatches(p: StatsProfile, ref: ReturnType<typeof reference>) {
  for (let j = 0; j < 26; j++) {
    const f = p.features[`C${j + 1}`]!;
    const r = ref[j]!;
    expect(f.accesses, `C${j + 1}`).toBe(r.accesses);
    expect(f.missing, `C${j + 1}`).toBe(r.missing);
    expect(f.distinct, `C${j + 1}`).toBe(r.distinct);
    expect(f.countHistogram, `C${j + 1}`).toEqual(r.histogram);
    expect(f.topIds, `C${j + 1}`).toEqual(r.top);
    expect(f.top1PctShare).toBeCloseTo(r.top1, 12);
    expect(f.top10PctShare).toBeCloseTo(r.top10, 12);
    expect(f.approximate).toBe(false);
  }
}

const texts = haveCriteoSample || process.env.CI ? sample.map((f) => readFileSync(f, 'latin1')) : [];

describeWithCriteo('scarec stats on the real Criteo sample', () => {
  it('matches an independent Map-based count for every feature (missing skipped)', async () => {
    const p = await computeStats(sample);
    expect(p.source.lines).toBe(8000);
    expect(p.source.files.map((f) => f.lines)).toEqual([7200, 409, 391]);
    expect(p.malformed.lines).toBe(0);
    expectMatches(p, reference(texts, false));
    // figures SOURCES.md states: C22 is missing in 82% of rows, C19/C20/C25/C26 in 45%
    expect(p.features.C22!.missing / 8000).toBeCloseTo(0.817, 3);
    expect(p.features.C20!.missing / 8000).toBeCloseTo(0.453, 3);
  });

  it('counts a missing value as its own row with --missing row', async () => {
    const p = await computeStats(sample, { missing: 'row' });
    expectMatches(p, reference(texts, true));
    expect(p.features.C22!.topIds[0]).toEqual(['', 6538]);
  });

  it('gives identical results for gzip input and for tiny read chunks (lines split across chunks)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-stats-'));
    const gz = join(dir, 'dev.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(sample[1]!)));
    const plain = await computeStats([sample[1]!]);
    const fromGz = await computeStats([gz]);
    const tiny = await computeStats([sample[1]!], { chunkBytes: 7 });
    expect(fromGz.source.files[0]!.gzip).toBe(true);
    expect(fromGz.features).toEqual(plain.features);
    expect(tiny.features).toEqual(plain.features);
    expect(fromGz.source.uncompressedBytes).toBe(98922);
    expectMatches(plain, reference([texts[1]!], false));
  });
});

describeWithCriteo('malformed lines', () => {
  const good = texts[0]!.split('\n').slice(0, 5);
  const cols = (l: string) => l.split('\t');
  const badHex = cols(good[1]!).map((v, i) => (i === 16 ? 'zz12ab34' : v)).join('\t'); // C3
  const badInt = cols(good[2]!).map((v, i) => (i === 3 ? '4.5' : v)).join('\t'); // I3
  const longHex = cols(good[3]!).map((v, i) => (i === 20 ? '123456789' : v)).join('\t'); // C7, 9 digits
  const short = cols(good[4]!).slice(0, 39).join('\t');
  // line 1 good, 2 bad hex, 3 good (CRLF), 4 bad int, 5 good, 6 too long hex, 7 short, 8 good without final newline
  const lines = [good[0], badHex, `${good[1]}\r`, badInt, good[2], longHex, short, good[3]];
  const text = lines.join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'scarec-bad-'));
  const file = join(dir, 'bad.tsv');
  writeFileSync(file, text);

  it('are counted, reported with their line numbers, and excluded; valid lines still count', async () => {
    const p = await computeStats([file]);
    expect(p.source.lines).toBe(8);
    expect(p.malformed.lines).toBe(4);
    expect(p.malformed.byReason).toEqual({ columns: 1, integer: 1, hex: 2, id: 0 });
    expect(p.malformed.first.map((m) => [m.line, m.reason])).toEqual([
      [2, 'hex'],
      [4, 'integer'],
      [6, 'hex'],
      [7, 'columns'],
    ]);
    expect(p.malformed.first[0]!.detail).toContain('C3');
    expect(p.malformed.first[0]!.detail).toContain('zz12ab34');
    expect(p.malformed.first[1]!.detail).toContain('I3');
    expect(p.features.C3!.malformed).toBe(1);
    expect(p.features.C7!.malformed).toBe(1);
    // the 4 valid lines are exactly good[0..3], the CRLF one included
    const ref = reference([good.slice(0, 4).join('\n')], false);
    for (let j = 0; j < 26; j++) {
      expect(p.features[`C${j + 1}`]!.accesses).toBe(ref[j]!.accesses);
      expect(p.features[`C${j + 1}`]!.countHistogram).toEqual(ref[j]!.histogram);
      expect(p.features[`C${j + 1}`]!.topIds).toEqual(ref[j]!.top);
    }
  });

  it('stop the run with --strict, naming file:line', async () => {
    await expect(computeStats([file], { strict: true })).rejects.toThrow(InputError);
    await expect(computeStats([file], { strict: true })).rejects.toThrow(`${file}:2`);
  });

  it('a missing file is an InputError naming it', async () => {
    await expect(computeStats([join(dir, 'nope.tsv')])).rejects.toThrow(/nope\.tsv.*cannot read/);
  });

  it('a corrupt gzip file is an InputError naming it', async () => {
    const gz = join(dir, 'corrupt.gz');
    const bytes = gzipSync(Buffer.from(text));
    bytes[20] ^= 0xff;
    bytes[21] ^= 0xff;
    writeFileSync(gz, bytes);
    await expect(computeStats([gz])).rejects.toThrow(/corrupt\.gz/);
  });
});

describe('ids format', () => {
  it('counts one integer id per line, up to 2^53-1, blank lines missing, others malformed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-ids-'));
    const file = join(dir, 'ids.txt');
    const big = 2 ** 53 - 1;
    const stream = ['5', '7', '5', '', `${big}`, ' 5 ', '4294967296', '4294967296', '0', 'x1', '-3', '4294967296', '9007199254740993'];
    writeFileSync(file, `${stream.join('\n')}\n`);
    const p = await computeStats([file], { format: 'ids' });
    const f = p.features.id!;
    expect(Object.keys(p.features)).toEqual(['id']);
    expect(f.accesses).toBe(9);
    expect(f.missing).toBe(1);
    expect(f.distinct).toBe(5);
    expect(f.countHistogram).toEqual([
      [3, 2],
      [1, 3],
    ]);
    expect(f.topIds).toEqual([
      ['5', 3],
      ['4294967296', 3],
      ['0', 1],
      ['7', 1],
      [String(big), 1],
    ]);
    expect(p.malformed.first.map((m) => m.line)).toEqual([10, 11, 13]);
  });
});
