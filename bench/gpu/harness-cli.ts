/**
 * Entry point of the GPU bundle (bench/gpu/make-bundle.sh): only the calibrate and validate commands, so
 * the bundle carries no report/plotting dependencies.
 */
import { Command, CommanderError } from 'commander';
import { registerCalibrate } from '../../src/cli/commands/calibrate.js';
import { registerValidate } from '../../src/cli/commands/validate.js';
import { createContext, EXIT, reportError } from '../../src/cli/run.js';

const ctx = createContext({ stdout: process.stdout, stderr: process.stderr }, process.argv.includes('--json'));
const program = new Command().name('scarec').exitOverride();
registerCalibrate(program, ctx);
registerValidate(program, ctx);
try {
  await program.parseAsync(process.argv);
  process.exitCode = ctx.exitCode;
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 || e.code === 'commander.helpDisplayed' ? EXIT.ok : EXIT.input;
  else process.exitCode = reportError(ctx, e);
}
