#!/usr/bin/env node
import { removeTemps } from './output.js';
import { EXIT } from './run.js';
import { SCAREC_VERSION } from './version.js';

/**
 * The `scarec` executable: the process's streams, signals and exit status around `run` (program.ts).
 * It imports only commander and the command registrations; a command loads its heavy libraries (solvers,
 * mathjs, d3, jsdom) when it runs.
 */
const temps = new Set<string>();

// A reader that stops early (`scarec ... | head`) closes the pipe: stop quietly, like other Unix tools.
// Any other failure to write stdout (a full disk, /dev/full) is one line on stderr and exit 2, never a trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  removeTemps(temps);
  if (e.code === 'EPIPE') process.exit(EXIT.ok);
  try {
    process.stderr.write(`error: cannot write to standard output (${e.code ?? e.message})\n`);
  } finally {
    process.exit(EXIT.input);
  }
});

// Ctrl-C or a kill mid-run ends the process at once, by the signal (the shell reports 130 or 143): no
// handler, so a long solve stops immediately rather than at its next await. Nothing is lost: every output
// is written under a temporary name and renamed into place when complete, so the previous file stays
// whole; a temporary a kill leaves behind is swept by the next run (output.ts sweepStaleTemps).
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // the one answer that needs no command definitions at all
  process.stdout.write(`${SCAREC_VERSION}\n`);
} else {
  const { run } = await import('./program.js');
  process.exitCode = await run(argv, { stdout: process.stdout, stderr: process.stderr, temps });
}
