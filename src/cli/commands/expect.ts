import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { readJsonFile } from '../../model/validate.js';
import { countsDistribution } from '../../stats/counts.js';
import type { RankDistribution } from '../../stats/distribution.js';
import { uniformDistribution } from '../../stats/uniform.js';
import { zipfDistribution } from '../../stats/zipf.js';
import { action, parseNumberOption, printJson, type CliContext } from '../run.js';

interface ExpectOptions {
  dist: string;
  rows?: number;
  lookups: number;
  json?: boolean;
}

/** The most rows a table may have: above 2^53 ranks are no longer exact doubles. */
const MAX_ROWS = Number.MAX_SAFE_INTEGER;

/** `zipf:ALPHA`, `uniform` or `counts:FILE` -> a distribution and the inputs it implies. */
export function distributionFromSpec(spec: string, rowsOption: number | undefined): { distribution: RankDistribution; inputs: Record<string, unknown> } {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? undefined : spec.slice(colon + 1);
  const needRows = (): number => {
    if (rowsOption === undefined) throw new InputError(`--dist ${kind} needs the number of rows`, 'option --rows');
    return rowsOption;
  };
  if (kind === 'zipf') {
    const alpha = Number(arg);
    if (arg === undefined || arg.trim() === '' || !Number.isFinite(alpha) || !(alpha > 0) || alpha > 20)
      throw new InputError(`zipf needs an exponent 0 < alpha <= 20, as in zipf:1.05 (got "${spec}")`, 'option --dist');
    const rows = needRows();
    return { distribution: zipfDistribution(alpha, rows), inputs: { dist: 'zipf', alpha, rows } };
  }
  if (kind === 'uniform') {
    if (arg !== undefined) throw new InputError(`uniform takes no parameter (got "${spec}")`, 'option --dist');
    const rows = needRows();
    return { distribution: uniformDistribution(rows), inputs: { dist: 'uniform', rows } };
  }
  if (kind === 'counts') {
    if (!arg) throw new InputError('counts needs a file, as in counts:counts.json', 'option --dist');
    let data: unknown;
    try {
      data = readJsonFile(arg, 'counts file');
    } catch (e) {
      if (e instanceof InputError) throw new InputError(e.message, 'option --dist');
      throw e;
    }
    if (!Array.isArray(data) || data.length === 0) throw new InputError('expected a non-empty JSON array of counts', arg);
    data.forEach((c, i) => {
      if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) throw new InputError(`count must be a finite number >= 0 (got ${JSON.stringify(c)})`, `${arg}: [${i}]`);
    });
    const counts = data as number[];
    if (!counts.some((c) => c > 0)) throw new InputError('all counts are zero', arg);
    const rows = rowsOption ?? counts.length;
    if (rows < counts.length) throw new InputError(`${counts.length} counts in ${arg} but only ${rows} rows`, 'option --rows');
    return { distribution: countsDistribution(counts, rows), inputs: { dist: 'counts', file: arg, rows } };
  }
  throw new InputError(`unknown distribution "${kind}" (use zipf:ALPHA, uniform or counts:FILE)`, 'option --dist');
}

export function registerExpect(program: Command, ctx: CliContext): void {
  program
    .command('expect')
    .description('expected distinct rows among K lookups, with bounds and a variance bound (proofs/zipf-sums.md)')
    .requiredOption('--dist <spec>', 'zipf:ALPHA | uniform | counts:FILE (a JSON array of per-row counts)')
    .option('--rows <n>', 'rows in the table (implied by a counts file)', parseNumberOption('--rows', { integer: true, min: 1, max: MAX_ROWS }))
    .requiredOption('--lookups <k>', 'lookups K in one batch', parseNumberOption('--lookups', { integer: true, min: 0, max: 1e15 }))
    .option('--json', 'print one JSON object')
    .action(
      action(ctx, (opts: ExpectOptions) => {
        const { distribution, inputs } = distributionFromSpec(opts.dist, opts.rows);
        const K = opts.lookups;
        const e = distribution.touched(0, distribution.rows, K);
        const v = distribution.touchedVarianceBound(0, distribution.rows, K);
        const out = {
          ...inputs,
          lookups: K,
          distribution: distribution.describe(),
          expectedUnique: e.value,
          lower: e.lower,
          upper: e.upper,
          exact: e.lower === e.upper,
          /** an upper bound on Var[U]: sum f(1-f) (proofs/coalescing.md) */
          variance: v.upper,
          uniquePerLookup: K > 0 ? e.value / K : 0,
        };
        if (opts.json) printJson(ctx, out);
        else
          ctx.out(
            `${out.distribution}, K = ${K} lookups\n` +
              `  expected distinct rows ${e.value.toPrecision(12)}${out.exact ? ' (exact)' : ` in [${e.lower.toPrecision(14)}, ${e.upper.toPrecision(14)}]`}\n` +
              `  variance <= ${v.upper.toPrecision(6)} (std dev <= ${Math.sqrt(v.upper).toPrecision(4)}), ${out.uniquePerLookup.toPrecision(4)} distinct rows per lookup\n`,
          );
      }),
    );
}
