/**
 * Entry point of the GPU bundle (bench/gpu/make-bundle.sh): only the calibrate and validate commands, so
 * the bundle carries no report/plotting dependencies.
 */
import { Command, CommanderError } from 'commander';
import { registerCalibrate } from '../../src/cli/commands/calibrate.js';
import { registerValidate } from '../../src/cli/commands/validate.js';
import { EXIT, exitCodeFor } from '../../src/cli/run.js';

const program = new Command().name('scarec').exitOverride();
registerCalibrate(program);
registerValidate(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 || e.code === 'commander.helpDisplayed' ? EXIT.ok : EXIT.input;
  else {
    const { code, message } = exitCodeFor(e);
    process.stderr.write(`${message}\n`);
    process.exitCode = code;
  }
}
