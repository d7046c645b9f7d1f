import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { PlanSpace } from '../../plan/mipModel.js';
import { checkInputFile, checkOutputFile, writeFileAtomic } from '../output.js';
import { action, parseNumberOption, printJson, type CliContext } from '../run.js';

const SPACES: Record<string, PlanSpace> = { exact: 'tiered', 'exact-tablewise': 'tablewise', 'exact-cache': 'cache' };

export function registerExport(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description('write the placement MIP (the model `plan --algo exact` solves first) as LP or MPS')
    .argument('<scenario>', 'scenario JSON file')
    .option('--algo <name>', 'exact | exact-tablewise | exact-cache', 'exact')
    .requiredOption('--format <fmt>', 'lp or mps')
    .option('--buckets <n>', 'at most N rank buckets per table', parseNumberOption('--buckets', { integer: true, min: 1, max: 4096 }))
    .option('--out <file>', 'write here instead of stdout')
    .option('--json', 'print one JSON object: the model text (or, with --out, where it went) and its size')
    .action(
      action(ctx, async (scenarioFile: string, opts: { algo: string; format: string; buckets?: number; out?: string; json?: boolean }) => {
        const space = SPACES[opts.algo];
        if (!space) throw new InputError(`cannot export "${opts.algo}" (one of ${Object.keys(SPACES).join(', ')})`, 'option --algo');
        if (opts.format !== 'lp' && opts.format !== 'mps') throw new InputError(`unknown format "${opts.format}" (lp or mps)`, 'option --format');
        if (opts.out) checkOutputFile(opts.out);
        checkInputFile(scenarioFile, 'scenario file');
        const { loadScenario } = await import('../../model/scenario.js');
        const scenario = loadScenario(scenarioFile);
        const { writeLp } = await import('../../mip/lp-format.js');
        const { writeMps } = await import('../../mip/mps-format.js');
        const { exactModel } = await import('../../plan/exact.js');
        const pm = exactModel(scenario, { space, maxBuckets: opts.buckets, coalesce: space !== 'tablewise' });
        const text = opts.format === 'lp' ? writeLp(pm.model) : writeMps(pm.model);
        if (opts.out) writeFileAtomic(opts.out, text, ctx.temps);
        const summary = { variables: pm.model.variables.length, integerVariables: pm.model.variables.filter((v) => v.type !== 'continuous').length, constraints: pm.model.constraints.length };
        if (opts.json) printJson(ctx, { scenario: scenario.name, algo: opts.algo, format: opts.format, model: summary, ...(opts.out ? { out: opts.out } : { text }) });
        else if (!opts.out) ctx.out(text);
      }),
    );
}
