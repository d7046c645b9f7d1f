import type { Command } from 'commander';
import type { CliContext } from '../run.js';
import { registerCalibrate } from './calibrate.js';
import { registerValidate } from './validate.js';
import { registerEvaluate } from './evaluate.js';
import { registerSolve } from './solve.js';
import { registerPlacementCommands } from './plan.js';
import { registerExpect } from './expect.js';
import { registerReproduce } from './reproduce.js';
import { registerSimulate } from './simulate.js';
import { registerStats } from './stats.js';
import { registerScenario } from './scenario.js';

/**
 * Every subcommand registers itself here (one file per command). Registration is cheap: a command file
 * imports its heavy libraries (solvers, mathjs, d3, jsdom) with `await import` inside its action.
 */
export function registerCommands(program: Command, ctx: CliContext): void {
  registerEvaluate(program, ctx);
  registerCalibrate(program, ctx);
  registerValidate(program, ctx);
  registerSolve(program, ctx);
  registerPlacementCommands(program, ctx);
  registerExpect(program, ctx);
  registerReproduce(program, ctx);
  registerSimulate(program, ctx);
  registerStats(program, ctx);
  registerScenario(program, ctx);
}
