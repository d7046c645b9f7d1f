import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { reproduce } from '../../report/reproduce.js';
import { action, printJson } from '../run.js';

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

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description("reproduce the paper's figures on a scenario: report.html, report.md, summary.json and fig-*.svg")
    .option('--out <dir>', 'output folder', 'report-out')
    .option('--scenario <file>', `scenario JSON file (default: the package's ${DEFAULT_SCENARIO})`)
    .option('--profile <file>', 'device profile from `scarec calibrate`: its constants replace the scenario\'s, its measurements are compared with the model')
    .option('--json', 'print one JSON object (files and readings)')
    .action(
      action(async (opts: { out: string; scenario?: string; profile?: string; json?: boolean }) => {
        const scenarioFile = opts.scenario ?? join(packageRoot(), DEFAULT_SCENARIO);
        const result = await reproduce({
          scenarioFile,
          outDir: opts.out,
          profile: opts.profile,
          onProgress: opts.json ? undefined : (e) => process.stderr.write(`[figure ${e.figure}] ${e.message}\n`),
        });
        if (opts.json) {
          printJson(result);
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
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
