import { Command, CommanderError } from 'commander';
import { InputError } from '../errors.js';
import { registerCommands } from './commands/index.js';
import { createContext, EXIT, reportError, type CliIo } from './run.js';
import { SCAREC_VERSION } from './version.js';

/** Does this argument list ask for JSON output? (before `--`, which ends the options) */
export function wantsJson(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--json') return true;
  }
  return false;
}

/**
 * scarec's command line as a function: parse `argv` (without the node and script paths), run the command,
 * write to `io`, return the exit code. main.ts calls it with the process's streams; the tests call it with
 * string buffers, many times in one process. Commander's own usage errors become exit 2 here, and under
 * --json one JSON error object on stdout, like every other error.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const ctx = createContext(io, wantsJson(argv));
  const program = new Command();
  program
    .name('scarec')
    .description('Expected communication, exact placement and calibration for embedding tables in recommendation training')
    .version(SCAREC_VERSION)
    .showHelpAfterError(ctx.json ? false : '(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.out(s),
      writeErr: (s) => ctx.err(s),
      // under --json the error goes out as one JSON object (below), not as commander's text
      outputError: (s, write) => {
        if (!ctx.json) write(s);
      },
    });
  registerCommands(program, ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are not errors; every other commander error is a usage error (exit 2)
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return EXIT.ok;
      if (ctx.json) return reportError(ctx, new InputError(e.message.replace(/^error: /, ''), usageWhere(e.message)));
      return EXIT.input;
    }
    // an error thrown while parsing an option value (parseNumberOption) or anything else
    return reportError(ctx, e);
  }
}

/** The option or argument a commander message names, as an InputError `where`. */
function usageWhere(message: string): string | undefined {
  const opt = /'(--?[\w-]+)/.exec(message);
  return opt ? `option ${opt[1]}` : undefined;
}
