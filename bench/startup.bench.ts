/**
 * Start-up time of the CLI (issue 16: every command took 2 to 10 s to start, `--version` 2.2 s idle):
 * `scarec --version`, a bad-input error, and `expect`, each against a bare `node -e ""` in the same run
 * (the machine is shared: the ratio to bare node is the number to compare across runs). Target: under 0.5 s
 * idle for `--version` and a bad-input error.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchResult } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.js');

function medianSpawnMs(args: string[], repeats: number): number {
  const times: number[] = [];
  for (let i = 0; i < repeats + 1; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (i > 0) times.push(performance.now() - t0); // the first run warms the file cache
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export default async function bench(ctx: BenchContext): Promise<BenchResult> {
  const repeats = ctx.quick ? 5 : 15;
  const cases: Array<[string, string[]]> = [
    ['node -e "" (baseline)', ['-e', '']],
    ['scarec --version', [cli, '--version']],
    ['scarec --help', [cli, '--help']],
    ['bad input: expect --lookups 0.5', [cli, 'expect', '--dist', 'uniform', '--rows', '10', '--lookups', '0.5']],
    ['bad input: plan on a missing scenario', [cli, 'plan', 'missing.json', '--algo', 'exact']],
    ['expect zipf:1.05, N = 1e8, K = 1e6', [cli, 'expect', '--dist', 'zipf:1.05', '--rows', '1e8', '--lookups', '1e6']],
  ];
  const rows = cases.map(([what, args]) => ({ command: what, medianMs: medianSpawnMs(args, repeats) }));
  const base = rows[0]!.medianMs;
  for (const r of rows) (r as Record<string, number | string>).overNodeMs = r.medianMs - base;
  const version = rows[1]!.medianMs;
  const bad = rows[3]!.medianMs;
  return {
    title: 'CLI start-up: --version, --help, bad-input errors and expect (spawned, median)',
    rows,
    notes: [
      `median of ${repeats} spawns each (after one warm-up), in one run; "overNodeMs" subtracts a bare node start measured alongside`,
      `--version ${version.toFixed(0)} ms, a bad-input error ${bad.toFixed(0)} ms: target under 500 ms idle ${version < 500 && bad < 500 ? 'met' : 'NOT met on this run (check the machine load)'}`,
      'heavy libraries (solvers, mathjs, d3, jsdom, gpu.js, webgpu) load only in the command that needs them (test/cli/startup.test.ts checks the chunk graph)',
    ],
  };
}
