/**
 * `scarec stats` on one very long line (issue 17: a 200 MB line took 307 s, quadratic in line length):
 * time per MB for a 20 MB and a 200 MB single-line file (ids format: an id padded by spaces, so the line is
 * valid and parsed to its end; and Criteo format, where the line is malformed and skipped past the 64 MiB
 * line limit). Linear reading keeps the time per MB about equal across sizes; the old reader's grew 10x.
 */
import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeStats } from '../src/data/stats.js';
import type { BenchContext, BenchResult } from './types.js';

function longLineFile(mb: number, kind: 'ids' | 'criteo'): string {
  const file = join(tmpdir(), `scarec-bench-longline-${kind}-${mb}MB`);
  if (existsSync(file) && statSync(file).size >= mb * 2 ** 20) return file;
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(1 << 20, kind === 'ids' ? 0x20 : 0x61); // spaces (trimmed) or 'a's (one huge field)
  for (let i = 0; i < mb; i++) writeSync(fd, block);
  writeSync(fd, Buffer.from(kind === 'ids' ? '7\n5\n' : '\n'));
  closeSync(fd);
  return file;
}

export default async function bench(ctx: BenchContext): Promise<BenchResult> {
  // parsed whole: below the 64 MiB line limit; 200 MB: past it, read through as one malformed line
  const sizes = ctx.quick ? [6, 30, 100] : [6, 60, 200];
  const rows: BenchResult['rows'] = [];
  await computeStats([longLineFile(1, 'ids')], { format: 'ids' }); // warm-up (JIT)
  for (const kind of ['ids', 'criteo'] as const)
    for (const mb of sizes) {
      const file = longLineFile(mb, kind);
      const work = { bytes: 0 };
      const t0 = performance.now();
      const p = await computeStats([file], { format: kind, work });
      const ms = performance.now() - t0;
      rows.push({ format: kind, lineMB: mb, ms, msPerMB: ms / mb, bytesExaminedPerByte: work.bytes / p.source.uncompressedBytes, lines: p.source.lines, malformed: p.malformed.lines });
    }
  const ratio = (kind: string) => {
    const r = rows.filter((x) => x.format === kind);
    return [(r[1]!.msPerMB as number) / (r[0]!.msPerMB as number), (r[2]!.msPerMB as number) / (r[0]!.msPerMB as number)];
  };
  const f = (x: number[]) => `${x[0]!.toFixed(2)}x at ${sizes[1]} MB, ${x[1]!.toFixed(2)}x at ${sizes[2]} MB`;
  return {
    title: `scarec stats on a single long line (${sizes.join(' and ')} MB)`,
    rows,
    notes: [
      `time per MB relative to the ${sizes[0]} MB line: ids ${f(ratio('ids'))}; criteo ${f(ratio('criteo'))} (linear: about 1 or below; quadratic: the size ratio, ${sizes[1]! / sizes[0]!}x and ${sizes[2]! / sizes[0]!}x)`,
      'the 64 MiB line limit: a longer line is one malformed line, streamed past without holding it (lines and malformed columns)',
      'one run each (a single pass of hundreds of MB); the machine is shared, so read the ratio, not the absolute times',
    ],
  };
}
