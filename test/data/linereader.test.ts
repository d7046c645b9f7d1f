import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeStats } from '../../src/data/stats.js';
import { InputError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'scarec-linereader-'));
const write = (name: string, data: string | Buffer) => {
  const f = join(dir, name);
  writeFileSync(f, data);
  return f;
};

/** A Criteo line: label, 13 integers, 26 hex ids (given). */
const criteoLine = (ids: string[]) => ['1', ...Array.from({ length: 13 }, (_, i) => String(i)), ...ids].join('\t');
const ids26 = (seed: number) => Array.from({ length: 26 }, (_, j) => ((seed * 31 + j) >>> 0).toString(16).padStart(8, '0'));

describe('stats reads in linear time (issue 17: a 200 MB line took 307 s)', () => {
  it('a 20 MB line in 64 KiB chunks: parsed right, and the bytes examined stay within 5x the input (quadratic would be ~1e4x)', async () => {
    // ids format: a valid id padded by 20 MB of spaces (trimmed), between two short lines
    const long = `${' '.repeat(20 * 2 ** 20)}7`;
    const f = write('long.ids', `5\n${long}\n5\n`);
    const work = { bytes: 0 };
    const p = await computeStats([f], { format: 'ids', chunkBytes: 64 * 1024, work });
    expect(p.source.lines).toBe(3);
    expect(p.features.id!.accesses).toBe(3);
    expect(p.features.id!.distinct).toBe(2);
    expect(p.malformed.lines).toBe(0);
    // the old reader joined the unfinished line to every chunk and rescanned it: ~ n^2 / (2 chunk) = 3.4e9 bytes
    expect(work.bytes).toBeGreaterThanOrEqual(p.source.uncompressedBytes);
    expect(work.bytes).toBeLessThanOrEqual(5 * p.source.uncompressedBytes);
  });

  it('property: bytes examined <= 5x the input for any line lengths and chunk size; counts equal a split-based count', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(5000), { minLength: 1, maxLength: 12 }), fc.integer({ min: 16, max: 4096 }), async (pads, chunk) => {
        const lines = pads.map((n, i) => `${' '.repeat(n)}${i % 3}`);
        const text = `${lines.join('\n')}\n`;
        const f = write(`p-${pads.length}-${chunk}.ids`, text);
        const work = { bytes: 0 };
        const p = await computeStats([f], { format: 'ids', chunkBytes: chunk, work });
        expect(p.source.lines).toBe(lines.length);
        expect(p.features.id!.distinct).toBe(new Set(lines.map((l) => l.trim())).size);
        expect(work.bytes).toBeLessThanOrEqual(5 * text.length + 16);
      }),
      { numRuns: 25, seed: 17 },
    );
  });

  it('a line longer than maxLineBytes is one malformed line, read without holding it; the lines after it count', async () => {
    const f = write('toolong.tsv', `${criteoLine(ids26(1))}\n${'x'.repeat(100_000)}\n${criteoLine(ids26(2))}\n`);
    const p = await computeStats([f], { chunkBytes: 4096, maxLineBytes: 10_000 });
    expect(p.source.lines).toBe(3);
    expect(p.malformed.lines).toBe(1);
    expect(p.malformed.first[0]).toMatchObject({ line: 2, reason: 'columns' });
    expect(p.malformed.first[0]!.detail).toMatch(/longer than 10000 bytes/);
    expect(p.features.C1!.accesses).toBe(2);
  });

  it('--strict names file:line of the too-long line', async () => {
    const f = write('toolong-strict.tsv', `${criteoLine(ids26(1))}\n${'x'.repeat(50_000)}`);
    await expect(computeStats([f], { chunkBytes: 1000, maxLineBytes: 10_000, strict: true })).rejects.toThrow(/toolong-strict\.tsv:2: malformed line: line longer/);
  });
});

describe('byte-order mark (issue 17: a BOM made Criteo line 1 malformed)', () => {
  it('a UTF-8 BOM at the start of a plain or gzip file is dropped; line 1 counts', async () => {
    const text = `${criteoLine(ids26(3))}\n${criteoLine(ids26(4))}\n`;
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    for (const [name, data] of [['bom.tsv', bom], ['bom.tsv.gz', gzipSync(bom)]] as const) {
      for (const chunkBytes of [1, 2, 5, 1 << 20]) {
        const p = await computeStats([write(name, data)], { chunkBytes });
        expect(p.malformed.lines).toBe(0);
        expect(p.source.lines).toBe(2);
        expect(p.features.C1!.accesses).toBe(2);
      }
    }
  });
  it('a BOM elsewhere than the start is not dropped (it is a malformed value there)', async () => {
    const text = `${criteoLine(ids26(3))}\n\ufeff${criteoLine(ids26(4))}\n`;
    const p = await computeStats([write('bom-mid.tsv', text)]);
    expect(p.malformed.lines).toBe(1);
    expect(p.malformed.first[0]!.line).toBe(2);
  });
  it('ids format: a BOM before the first id', async () => {
    const p = await computeStats([write('bom.ids', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('12\n12\n')]))], { format: 'ids' });
    expect(p.malformed.lines).toBe(0);
    expect(p.features.id!.distinct).toBe(1);
  });
});

describe('bad files', () => {
  it('a truncated .gz, a folder, an unreadable file and an empty file', async () => {
    const gz = gzipSync(Buffer.from(`${criteoLine(ids26(5))}\n`.repeat(2000)));
    const cut = write('cut.tsv.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    await expect(computeStats([cut])).rejects.toThrow(InputError);
    await expect(computeStats([cut])).rejects.toThrow(/cut\.tsv\.gz: .*(truncated|gzip)/);
    await expect(computeStats([dir])).rejects.toThrow(/is a folder/);
    const empty = write('empty.tsv', '');
    const p = await computeStats([empty]);
    expect(p.source.lines).toBe(0);
    expect(p.features.C1!.distinct).toBe(0);
  });
});

describe('pipes (zcat x.gz | scarec stats /dev/stdin)', () => {
  it('a FIFO streams, plain or gzip (sniffed from its first bytes, since a pipe cannot be read twice)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { createWriteStream } = await import('node:fs');
    for (const gz of [false, true]) {
      const fifo = join(dir, `in-${gz}.fifo`);
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const text = Buffer.from(`${criteoLine(ids26(7))}\n`.repeat(500));
      const w = createWriteStream(fifo);
      w.end(gz ? gzipSync(text) : text);
      const p = await computeStats([fifo], { chunkBytes: 1000 });
      expect(p.source.files[0]!.gzip).toBe(gz);
      expect(p.source.lines).toBe(500);
      expect(p.malformed.lines).toBe(0);
      expect(p.features.C1!.accesses).toBe(500);
    }
  });
});
