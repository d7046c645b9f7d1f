/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line), then writes
 * bench/results/latest.json and bench/results/latest.md. The machine is shared and noisy: benchmarks
 * report medians and compare as ratios measured in one run.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchContext, BenchResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const ctx: BenchContext = { quick: process.env.SCAREC_BENCH_QUICK === '1' };
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
};
type Entry = BenchResult & { file: string; seconds: number; date: string };
const results: Entry[] = [];
for (const f of files) {
  process.stderr.write(`bench ${f} ...\n`);
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: (c: BenchContext) => Promise<BenchResult> };
  const t0 = performance.now();
  const r = await mod.default(ctx);
  results.push({ file: f, seconds: (performance.now() - t0) / 1e3, date: new Date().toISOString(), ...r });
  process.stderr.write(`  done in ${((performance.now() - t0) / 1e3).toFixed(1)} s\n`);
}

// Running some benchmarks keeps the others' last results (each entry carries its own date).
const latest = join(here, 'results', 'latest.json');
const previous: Entry[] = existsSync(latest) ? ((JSON.parse(readFileSync(latest, 'utf8')) as { benches?: Entry[] }).benches ?? []) : [];
const merged = [...previous.filter((p) => !results.some((r) => r.file === p.file)), ...results].sort((a, b) => a.file.localeCompare(b.file));
const out = { date: new Date().toISOString(), machine, quick: ctx.quick, benches: merged };
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);

const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v));
const md: string[] = [
  `# Benchmarks (${out.date})`,
  '',
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node} (${machine.platform}).`,
  '',
];
for (const r of merged) {
  md.push(`## ${r.title}`, '', `\`bench/${r.file}\`, run ${r.date ?? out.date}, ${r.seconds.toFixed(1)} s`, '');
  const cols = [...new Set(r.rows.flatMap((row) => Object.keys(row)))];
  if (cols.length > 0) {
    md.push(`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`);
    for (const row of r.rows) md.push(`| ${cols.map((c) => fmt(row[c] ?? '')).join(' | ')} |`);
    md.push('');
  }
  for (const n of r.notes) md.push(`- ${n}`);
  md.push('');
}
writeFileSync(join(here, 'results', 'latest.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
