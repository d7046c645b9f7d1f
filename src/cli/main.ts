#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { EXIT, exitCodeFor } from './run.js';

/** scarec's command line: parses arguments, calls the library, prints. Errors map to exit codes in run.ts. */
const program = new Command();
program
  .name('scarec')
  .description('Expected communication, exact placement and calibration for embedding tables in recommendation training')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();
registerCommands(program);

// A reader that stops early (`scarec ... | head`) closes the pipe: stop quietly, like other Unix tools.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(EXIT.ok);
  throw e;
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version are not errors; every other commander error is a usage error (exit 2)
    process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? EXIT.ok : EXIT.input;
  } else {
    const { code, message } = exitCodeFor(e);
    process.stderr.write(`${message}\n`);
    process.exitCode = code;
  }
}
