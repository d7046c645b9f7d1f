import type { Command } from 'commander';
import { registerCalibrate } from './calibrate.js';
import { registerValidate } from './validate.js';
import { registerEvaluate } from './evaluate.js';
import { registerSolve } from './solve.js';
import { registerPlacementCommands } from './plan.js';
import { registerExpect } from './expect.js';
import { registerReproduce } from './reproduce.js';
import { registerSimulate } from './simulate.js';
import { registerStats } from './stats.js';

/** Every subcommand registers itself here (one file per command). */
export function registerCommands(program: Command): void {
  registerEvaluate(program);
  registerCalibrate(program);
  registerValidate(program);
  registerSolve(program);
  registerPlacementCommands(program);
  registerExpect(program);
  registerReproduce(program);
  registerSimulate(program);
  registerStats(program);
}
