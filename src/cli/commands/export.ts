import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { writeLp } from '../../mip/lp-format.js';
import { writeMps } from '../../mip/mps-format.js';
import { loadScenario } from '../../model/scenario.js';
import { exactModel } from '../../plan/exact.js';
import type { PlanSpace } from '../../plan/mipModel.js';
import { action, parseNumberOption } from '../run.js';

const SPACES: Record<string, PlanSpace> = { exact: 'tiered', 'exact-tablewise': 'tablewise', 'exact-cache': 'cache' };

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the placement MIP (the model `plan --algo exact` solves first) as LP or MPS')
    .argument('<scenario>', 'scenario JSON file')
    .option('--algo <name>', 'exact | exact-tablewise | exact-cache', 'exact')
    .requiredOption('--format <fmt>', 'lp or mps')
    .option('--buckets <n>', 'at most N rank buckets per table', parseNumberOption('--buckets', { integer: true, min: 1, max: 4096 }))
    .option('--out <file>', 'write here instead of stdout')
    .action(
      action((scenarioFile: string, opts: { algo: string; format: string; buckets?: number; out?: string }) => {
        const space = SPACES[opts.algo];
        if (!space) throw new InputError(`cannot export "${opts.algo}" (one of ${Object.keys(SPACES).join(', ')})`, 'option --algo');
        if (opts.format !== 'lp' && opts.format !== 'mps') throw new InputError(`unknown format "${opts.format}" (lp or mps)`, 'option --format');
        const scenario = loadScenario(scenarioFile);
        const pm = exactModel(scenario, { space, maxBuckets: opts.buckets, coalesce: space !== 'tablewise' });
        const text = opts.format === 'lp' ? writeLp(pm.model) : writeMps(pm.model);
        if (opts.out) writeFileSync(opts.out, text);
        else process.stdout.write(text);
      }),
    );
}
