import type { Command } from 'commander';
import { registerEvaluate } from './evaluate.js';
import { registerStats } from './stats.js';
import { registerExpect } from './expect.js';
import { registerReproduce } from './reproduce.js';
import { registerSimulate } from './simulate.js';
import { registerStats } from './stats.js';

/** Every subcommand registers itself here (one file per command). */
export function registerCommands(program: Command): void {
  registerEvaluate(program);
  registerStats(program);
  registerExpect(program);
  registerReproduce(program);
  registerSimulate(program);
  registerStats(program);
}
