import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InfeasibleError, InputError } from '../../errors.js';
import type { SolutionFormat } from '../../mip/solution-read.js';
import { checkInputFile, checkOutputFile, writeFileAtomic } from '../output.js';
import { action, printJson, type CliContext } from '../run.js';
import { formatEvaluation } from './evaluate.js';

export function registerImportSolution(program: Command, ctx: CliContext): void {
  program
    .command('import-solution')
    .description("turn an external solver's solution of an exported model (glpsol -w, cbc solu) into a plan, costed by evaluate")
    .argument('<scenario>', 'scenario JSON file (the one exported)')
    .requiredOption('--model-map <file>', 'the variable map `scarec export` wrote beside the model')
    .requiredOption('--solution <file>', 'glpsol -w (--write) or cbc solu output')
    .option('--format <fmt>', 'glpsol | cbc (default: detected)')
    .option('--out <file>', 'write the plan JSON here')
    .option('--json', 'print one JSON object')
    .action(
      action(ctx, async (scenarioFile: string, opts: { modelMap: string; solution: string; format?: string; out?: string; json?: boolean }) => {
        if (opts.format !== undefined && opts.format !== 'glpsol' && opts.format !== 'cbc') throw new InputError(`unknown solution format "${opts.format}" (glpsol or cbc)`, 'option --format');
        if (opts.out) checkOutputFile(opts.out);
        checkInputFile(scenarioFile, 'scenario file');
        checkInputFile(opts.modelMap, 'model map');
        checkInputFile(opts.solution, 'solution file');
        const { loadScenario } = await import('../../model/scenario.js');
        const { modelMapSchema } = await import('../../model/schema.js');
        const { parseWithSchema, readJsonFile } = await import('../../model/validate.js');
        const { readSolution } = await import('../../mip/solution-read.js');
        const { checkMapAgainst, planFromSolution } = await import('../../plan/modelMap.js');
        const { planScenario } = await import('../../model/plan.js');
        const { evaluate } = await import('../../model/evaluate.js');
        const scenario = loadScenario(scenarioFile);
        const map = parseWithSchema(modelMapSchema, readJsonFile(opts.modelMap, 'model map'), opts.modelMap);
        checkMapAgainst(map, scenario, opts.modelMap);
        let text: string;
        try {
          text = readFileSync(opts.solution, 'utf8');
        } catch {
          throw new InputError('solution file not found or unreadable', opts.solution);
        }
        const sol = readSolution(text, { file: opts.solution, format: opts.format as SolutionFormat | undefined, columns: map.columns });
        if (sol.status === 'infeasible' || sol.status === 'unbounded')
          throw new InfeasibleError(`${opts.solution}: the solver reports the model ${sol.status} (${sol.solverStatus}): no plan to import`);
        const plan = planFromSolution(scenario, map, sol.values, opts.solution);
        const at = planScenario(scenario, plan);
        const evaluation = evaluate(at.scenario, plan);
        if (opts.out) writeFileAtomic(opts.out, `${JSON.stringify(plan, null, 2)}\n`, ctx.temps);
        const solver = {
          format: sol.format,
          status: sol.status,
          solverStatus: sol.solverStatus,
          // the model's objective is the bucketed iteration time; evaluate costs the plan at row level
          objectiveUs: sol.objective === null ? null : map.sense === 'maximize' ? -sol.objective : sol.objective,
        };
        if (opts.json) return printJson(ctx, { algorithm: 'import-solution', solver, plan, evaluation, throughputSamplesPerSec: evaluation.throughputSamplesPerSec });
        const lines = [
          formatEvaluation({ ...evaluation, batchSource: at.batchSource }),
          `  solution (${sol.format}): ${sol.status} (solver: ${sol.solverStatus})${solver.objectiveUs === null ? '' : `, objective ${solver.objectiveUs.toPrecision(8)} us (bucketed model; evaluate: ${(evaluation.iterationSec * 1e6).toPrecision(8)} us at row level)`}`,
        ];
        if (sol.status !== 'optimal') lines.push('  the solver did not prove this solution optimal');
        if (opts.out) lines.push(`  plan written to ${opts.out}`);
        ctx.out(`${lines.join('\n')}\n`);
      }),
    );
}
