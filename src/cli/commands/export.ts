import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { PlanSpace } from '../../plan/mipModel.js';
import { checkInputFile, checkOutputFile, writeFileAtomic } from '../output.js';
import { action, parseNumberOption, printJson, type CliContext } from '../run.js';

const SPACES: Record<string, PlanSpace> = { exact: 'tiered', 'exact-tablewise': 'tablewise', 'exact-cache': 'cache' };

/** Gap and time options for the external solvers: without them glpsol and cbc spend hours on the last 0.1%. */
export function solverHints(model: string, format: 'lp' | 'mps', map: string | undefined, scenarioFile: string): string[] {
  const base = model.replace(/\.(mps|lp)$/, '');
  return [
    'solve it with a relative gap and a time limit (without them both solvers can spend hours closing the last 0.1%):',
    `  glpsol ${format === 'mps' ? '--freemps' : '--lp'} ${model} --mipgap 1e-4 --tmlim 600 -w ${base}.glpsol.sol`,
    `  cbc ${model} ratioGap 1e-4 sec 600 solve solu ${base}.cbc.sol`,
    map
      ? `then turn the solution into a plan: scarec import-solution ${scenarioFile} --model-map ${map} --solution ${base}.glpsol.sol --out plan.json`
      : 'write the variable map too (--out FILE or --map FILE) to turn the solution back into a plan with scarec import-solution',
  ];
}

interface ExportOptions {
  algo: string;
  format: string;
  buckets?: number;
  batch?: number;
  map?: string;
  plan?: string;
  profile?: string;
  out?: string;
  json?: boolean;
  python?: string;
  pattern?: string;
}

export function registerExport(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description('write the placement MIP (the usage-pattern models `plan --algo exact` branches on, at --buckets) as LP or MPS with its variable map; or, with --format ids, the row ids of a plan; or, with --format torchrec, a plan in TorchRec terms')
    .argument('<scenario>', 'scenario JSON file')
    .option('--algo <name>', 'exact | exact-tablewise | exact-cache', 'exact')
    .requiredOption('--format <fmt>', 'lp or mps (the MIP), ids (row ids of --plan per table and class), torchrec (--plan in TorchRec terms: JSON and a Python ParameterConstraints builder)')
    .option('--python <file>', 'with --format torchrec: write the ParameterConstraints builder here (default: --out with .py)')
    .option('--buckets <n>', 'at most N rank buckets per table', parseNumberOption('--buckets', { integer: true, min: 1, max: 4096 }))
    .option('--batch <samples>', "global batch of the model (default: the scenario's training.globalBatch)", parseNumberOption('--batch', { integer: true, min: 1, max: 1e12 }))
    .option('--pattern <name>', 'indicator (one model choosing its classes through indicator binaries), all (the usage-pattern models exact branches on: one file per pattern, its name in the file name) or one pattern (e.g. replicated+sharded+host)', 'indicator')
    .option('--map <file>', 'write the variable map here (default with --out: FILE.map.json)')
    .option('--plan <file>', 'with --format ids: the plan whose row ids to write; with --format torchrec: the plan to export')
    .option('--profile <file>', "with --format ids: the frequency profile with the id map (default: the one each table's distribution names)")
    .option('--out <file>', 'write here instead of stdout (--format ids: a directory)')
    .option('--json', 'print one JSON object: the model text (or, with --out, where it went) and its size')
    .action(
      action(ctx, async (scenarioFile: string, opts: ExportOptions) => {
        if (opts.format === 'torchrec') {
          if (!opts.plan) throw new InputError('--format torchrec exports a plan: give --plan PLAN.json', 'option --plan');
          const pyFile = opts.python ?? (opts.out ? `${opts.out.replace(/\.json$/i, '')}.py` : undefined);
          if (opts.out) checkOutputFile(opts.out);
          if (pyFile) checkOutputFile(pyFile);
          const { loadScenario } = await import('../../model/scenario.js');
          const { loadPlans } = await import('../../model/plan.js');
          const { torchrecExport, torchrecPython } = await import('../../plan/torchrec-export.js');
          const scenario = loadScenario(scenarioFile);
          const { plans, isArray } = loadPlans(opts.plan, scenario);
          if (isArray) throw new InputError('give one plan, not an array of plans', opts.plan);
          const exp = torchrecExport(scenario, plans[0]!, opts.plan);
          const json = `${JSON.stringify(exp, null, 2)}\n`;
          if (opts.out) writeFileAtomic(opts.out, json, ctx.temps);
          if (pyFile) writeFileAtomic(pyFile, torchrecPython(exp), ctx.temps);
          if (opts.json) printJson(ctx, { ...exp, ...(opts.out ? { out: opts.out } : {}), ...(pyFile ? { python: pyFile } : {}) });
          else if (!opts.out) ctx.out(json);
          return;
        }
        if (opts.format === 'ids') {
          const { exportIds } = await import('./export-ids.js');
          return exportIds(ctx, scenarioFile, opts);
        }
        const space = SPACES[opts.algo];
        if (!space) throw new InputError(`cannot export "${opts.algo}" (one of ${Object.keys(SPACES).join(', ')})`, 'option --algo');
        if (opts.format !== 'lp' && opts.format !== 'mps') throw new InputError(`unknown format "${opts.format}" (lp, mps, ids or torchrec)`, 'option --format');
        const format = opts.format;
        if (opts.out) checkOutputFile(opts.out);
        const mapFile = opts.map ?? (opts.out ? `${opts.out}.map.json` : undefined);
        if (mapFile) checkOutputFile(mapFile, 'option --map');
        checkInputFile(scenarioFile, 'scenario file');
        const { loadScenario, withGlobalBatch } = await import('../../model/scenario.js');
        let scenario = loadScenario(scenarioFile);
        if (opts.batch !== undefined && opts.batch !== scenario.training.globalBatch) scenario = withGlobalBatch(scenario, opts.batch);
        const { writeLp } = await import('../../mip/lp-format.js');
        const { writeMps } = await import('../../mip/mps-format.js');
        const { exactPatternModels } = await import('../../plan/exact/index.js');
        const { modelMapOf } = await import('../../plan/modelMap.js');
        const buckets = opts.buckets ?? 8;
        // The pattern models exact's branch and bound solves (no indicators, no big-M rows): the bucketed
        // optimum is the least over them, one file (and map) each (proofs/placement-bounds.md §1).
        // Until import-solution's tests read one map per pattern, the default stays the indicator model
        // (its optimum equals the least over the patterns); --pattern all writes the pattern models.
        const { exactModel } = await import('../../plan/exact/index.js');
        let patterns =
          opts.pattern === 'indicator'
            ? [{ pattern: 'indicator', pm: exactModel(scenario, { space, maxBuckets: buckets, coalesce: space !== 'tablewise' }) }]
            : exactPatternModels(scenario, { space, maxBuckets: buckets, coalesce: space !== 'tablewise' });
        if (opts.pattern !== undefined && opts.pattern !== 'all' && opts.pattern !== 'indicator') {
          patterns = patterns.filter((p) => p.pattern === opts.pattern);
          if (!patterns.length) throw new InputError(`no usage pattern "${opts.pattern}" (one of ${exactPatternModels(scenario, { space, maxBuckets: 1 }).map((p) => p.pattern).join(', ')}, all)`, 'option --pattern');
        }
        if (patterns.length > 1 && !opts.out) throw new InputError(`${patterns.length} pattern models: give --out FILE (one file per pattern) or --pattern NAME`, 'option --pattern');
        const fileOf = (f: string, pattern: string) => (patterns.length === 1 ? f : f.replace(/(\.(lp|mps))?$/, (ext) => `.${pattern.replace(/\+/g, '_')}${ext}`));
        const written = patterns.map(({ pattern, pm }) => {
          // glpsol rejects OBJSENSE and cbc ignores it: a maximisation goes out as the minimisation of -objective
          const text = format === 'lp' ? writeLp(pm.model) : writeMps(pm.model, { objsense: false });
          const out = opts.out ? fileOf(opts.out, pattern) : undefined;
          const map = mapFile ? fileOf(mapFile.replace(/\.map\.json$/, ''), pattern) + (mapFile.endsWith('.map.json') ? '.map.json' : '') : undefined;
          if (out) writeFileAtomic(out, text, ctx.temps);
          if (map) writeFileAtomic(map, `${JSON.stringify({ ...modelMapOf(scenario, pm, format, text, buckets), pattern })}\n`, ctx.temps);
          const model = { variables: pm.model.variables.length, integerVariables: pm.model.variables.filter((v) => v.type !== 'continuous').length, constraints: pm.model.constraints.length };
          return { pattern, text, out, map, model };
        });
        const first = written[0]!;
        const summary = first.model;
        const hints = solverHints(first.out ?? `model.${format}`, format, first.map, scenarioFile);
        if (opts.json)
          return printJson(ctx, {
            scenario: scenario.name,
            algo: opts.algo,
            format,
            globalBatch: scenario.training.globalBatch,
            bucketsPerTableMax: buckets,
            model: summary,
            patterns: written.map((w) => ({ pattern: w.pattern, model: w.model, ...(w.out ? { out: w.out } : {}), ...(w.map ? { modelMap: w.map } : {}) })),
            ...(first.map ? { modelMap: first.map } : {}),
            solverCommands: hints.filter((h) => h.startsWith('  ')).map((h) => h.trim()),
            ...(opts.out ? { out: first.out } : { text: first.text }),
          });
        if (!opts.out) ctx.out(first.text);
        const note = [
          ...written.map((w) => `${w.out ? `wrote ${w.out}` : 'wrote the model to stdout'} (pattern ${w.pattern}): ${w.model.variables} variables (${w.model.integerVariables} integer), ${w.model.constraints} constraints${w.map ? `, map ${w.map}` : ''}`),
          `at batch ${scenario.training.globalBatch}, ${buckets} buckets per table; objective: iteration time in microseconds (minimise); the bucketed optimum is the least over the ${written.length} pattern model(s)`,
          ...hints,
        ];
        ctx.err(`${note.join('\n')}\n`);
      }),
    );
}
