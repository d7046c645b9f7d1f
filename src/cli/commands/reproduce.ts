import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { ReproduceResult } from '../../report/reproduce.js';
import { checkOutputDir, makeTempDir, moveDirContents } from '../output.js';
import { action, printJson, type CliContext } from '../run.js';

/**
 * The package root: the nearest folder above this module that holds package.json and models/. From
 * dist/cli/main.js (or a chunk in dist/) and from src/cli/commands/*.ts alike, so the default scenario
 * resolves whatever the cwd is.
 */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(from, '..', '..');
    dir = up;
  }
}

export const DEFAULT_SCENARIO = 'models/criteo-terabyte-8gpu.json';

export function registerReproduce(program: Command, ctx: CliContext): void {
  program
    .command('reproduce')
    .description("reproduce the paper's figures on a scenario: report.html, report.md, summary.json and fig-*.svg")
    .option('--out <dir>', 'output folder', 'report-out')
    .option('--scenario <file>', `scenario JSON file (default: the package's ${DEFAULT_SCENARIO})`)
    .option('--profile <file>', 'device profile from `scarec calibrate`: its constants replace the scenario\'s, its measurements are compared with the model')
    .option('--json', 'print one JSON object (files and readings)')
    .action(
      action(ctx, async (opts: { out: string; scenario?: string; profile?: string; json?: boolean }) => {
        const scenarioFile = opts.scenario ?? join(packageRoot(), DEFAULT_SCENARIO);
        // the folder is checked before the run (minutes), not after it
        checkOutputDir(opts.out);
        // bad input fails before the report libraries (d3, jsdom) load: the scenario and profile are read once here
        const { loadScenario } = await import('../../model/scenario.js');
        loadScenario(scenarioFile);
        if (opts.profile) {
          const { deviceProfileSchema } = await import('../../model/schema.js');
          const { parseWithSchema, readJsonFile } = await import('../../model/validate.js');
          parseWithSchema(deviceProfileSchema, readJsonFile(opts.profile, 'device profile'), opts.profile);
        }
        const { reproduce } = await import('../../report/reproduce.js');
        // Every file is written into a private temporary folder inside the target, then renamed in (under a
        // lock): an interrupted run leaves the previous report whole, and two runs into one folder leave one
        // run's complete set, never a mix of half-written files.
        const outDir = resolve(opts.out);
        mkdirSync(outDir, { recursive: true });
        const tmp = makeTempDir(outDir, ctx.temps);
        let inTmp: ReproduceResult;
        try {
          inTmp = await reproduce({
            scenarioFile,
            outDir: tmp,
            profile: opts.profile,
            onProgress: opts.json ? undefined : (e) => ctx.err(`[figure ${e.figure}] ${e.message}\n`),
          });
        } catch (e) {
          rmTemp(tmp, ctx);
          throw e;
        }
        await moveDirContents(tmp, outDir, ctx.temps);
        const moved = (f: string) => join(outDir, relative(tmp, f));
        const result: ReproduceResult = {
          ...inTmp,
          outDir,
          files: { html: moved(inTmp.files.html), markdown: moved(inTmp.files.markdown), summary: moved(inTmp.files.summary), figures: inTmp.files.figures.map(moved) },
        };
        if (opts.json) {
          printJson(ctx, result);
          return;
        }
        const lines = [
          `report written in ${result.seconds.toFixed(1)} s:`,
          `  ${result.files.html}`,
          `  ${result.files.markdown}`,
          `  ${result.files.summary}`,
          `  ${result.files.figures.length} figures (fig-*.svg) in ${result.outDir}`,
          '',
          ...result.figures.map((f) => `Figure ${f.number}. ${f.reading}`),
        ];
        ctx.out(`${lines.join('\n')}\n`);
      }),
    );
}

function rmTemp(tmp: string, ctx: CliContext): void {
  rmSync(tmp, { recursive: true, force: true });
  ctx.temps.delete(tmp);
}
