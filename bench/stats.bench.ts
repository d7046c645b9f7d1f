/**
 * `scarec stats` throughput on a generated Criteo-format file (>= 2 million lines, deterministic, in /tmp),
 * next to `cat FILE > /dev/null` (the read limit) and an awk program computing the same per-feature distinct
 * counts. Target: scarec stats at least 3x faster than awk.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeStats } from '../src/data/stats.js';
import { fmix32 } from '../src/data/hyperloglog.js';
import { medianMs, type BenchContext, type BenchResult } from './types.js';

/** vocabulary per categorical column: the Kaggle sizes capped at 2e6, so the tables hold millions of keys */
const VOCAB = [1460, 583, 2e6, 2e6, 305, 24, 12517, 633, 3, 93145, 5683, 2e6, 3194, 27, 14992, 2e6, 10, 5652, 2173, 4, 2e6, 18, 15, 286181, 105, 142572];
const HEX = Buffer.from('0123456789abcdef');

/** Deterministic Criteo-format file: label, 13 integers, 26 hex categories; about 5 % missing values. */
function generate(file: string, lines: number): void {
  let state = 12345;
  const rand = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(64 << 20);
  let p = 0;
  for (let i = 0; i < lines; i++) {
    if (p > buf.length - 512) {
      writeSync(fd, buf, 0, p);
      p = 0;
    }
    buf[p++] = rand() < 0.25 ? 49 : 48;
    for (let c = 0; c < 13; c++) {
      buf[p++] = 9;
      if (rand() < 0.05) continue;
      const v = Math.floor(rand() ** 3 * 5000);
      p += buf.write(String(v), p, 'latin1');
    }
    for (let c = 0; c < 26; c++) {
      buf[p++] = 9;
      if (rand() < 0.05) continue;
      // log-uniform rank (Zipf-like with exponent 1) over the column's vocabulary
      const rank = Math.floor(VOCAB[c]! ** rand()) - 1;
      const key = fmix32((rank ^ Math.imul(c + 1, 0x9e3779b1)) >>> 0);
      for (let s = 28; s >= 0; s -= 4) buf[p++] = HEX[(key >>> s) & 15]!;
    }
    buf[p++] = 10;
  }
  writeSync(fd, buf, 0, p);
  closeSync(fd);
}

const AWK = '{for(j=15;j<=40;j++) if($j!="") a[j" "$j]=1} END{for(k in a){split(k,s," "); d[s[1]]++} for(j=15;j<=40;j++) print d[j]+0}';

export default async function bench(ctx: BenchContext): Promise<BenchResult> {
  const lines = ctx.quick ? 200_000 : 2_000_000;
  const file = join(tmpdir(), `scarec-bench-criteo-${lines}.tsv`);
  if (!existsSync(file)) generate(file, lines);
  const bytes = statSync(file).size;
  const repeats = ctx.quick ? 3 : 3;

  const catMs = await medianMs(() => execFileSync('sh', ['-c', `cat '${file}' > /dev/null`]), repeats);
  let profile: Awaited<ReturnType<typeof computeStats>> | undefined;
  const statsMs = await medianMs(async () => {
    profile = await computeStats([file]);
  }, repeats);
  // awk is slow: one timed run (after the warm-up of the file cache by the runs above)
  const t0 = performance.now();
  const r = spawnSync('awk', ['-F', '\t', AWK, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const awkMs = performance.now() - t0;
  const awkDistinct = r.stdout.trim().split('\n').map(Number);
  const ours = Object.values(profile!.features).map((f) => f.distinct);
  const agree = awkDistinct.length === 26 && awkDistinct.every((d, j) => d === ours[j]);

  const row = (tool: string, ms: number, runs: number) => ({
    tool,
    lines,
    MB: bytes / 1e6,
    medianSec: ms / 1e3,
    runs,
    linesPerSec: lines / (ms / 1e3),
    MBPerSec: bytes / 1e6 / (ms / 1e3),
  });
  return {
    title: `scarec stats throughput on a generated Criteo file (${lines} lines)`,
    rows: [row('cat > /dev/null', catMs, repeats), row('scarec stats (computeStats)', statsMs, repeats), row('awk distinct per feature', awkMs, 1)],
    notes: [
      `scarec stats is ${(awkMs / statsMs).toFixed(1)}x faster than awk (target >= 3x: ${awkMs / statsMs >= 3 ? 'met' : 'MISSED'}); ${(statsMs / catMs).toFixed(1)}x the time of cat.`,
      `awk and scarec stats agree on all 26 distinct counts: ${agree}.`,
      `awk is ${spawnSync('sh', ['-c', 'readlink -f "$(command -v awk)"'], { encoding: 'utf8' }).stdout.trim()}; the file stays in /tmp (${file}) for reruns.`,
    ],
  };
}
