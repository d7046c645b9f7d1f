import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'tsup';

/** The contract of a benchmark file: bench/<area>.bench.ts default-exports a function returning this. */
export interface BenchResult {
  /** short title, e.g. "Expected distinct rows: exact O(N) sum vs bounded method" */
  title: string;
  /** one row per measurement; numbers are medians of repeats where timing is involved */
  rows: Array<Record<string, number | string | boolean | null>>;
  /** what to read from it: ratios measured in this run, targets met or missed */
  notes: string[];
}

export interface BenchContext {
  /** true when SCAREC_BENCH_QUICK=1: smaller sizes, for smoke runs */
  quick: boolean;
}

/** Median of repeated timings (ms) of fn; the first call is a warm-up. */
export async function medianMs(fn: () => unknown | Promise<unknown>, repeats = 5): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Build the CLI of these sources into `root`/dist (as test/helpers/build.ts builds it for the tests) and return
 * the path of dist/cli/main.js: benches that spawn the CLI time the current code, not a stale build.
 */
export async function buildCli(root: string): Promise<string> {
  await build({ entry: { index: 'src/index.ts', 'cli/main': 'src/cli/main.ts' }, format: ['esm'], target: 'node20', platform: 'node', splitting: true, sourcemap: true, dts: false, clean: false, silent: true, skipNodeModulesBundle: true, outDir: join(root, 'dist') });
  const cli = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} was not built`);
  return cli;
}
