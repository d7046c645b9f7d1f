import type { Command } from 'commander';
import { registerEvaluate } from './evaluate.js';

/** Every subcommand registers itself here (one file per command). */
export function registerCommands(program: Command): void {
  registerEvaluate(program);
}
