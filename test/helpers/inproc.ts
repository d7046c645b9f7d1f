import { run } from '../../src/cli/program.js';

export interface InprocResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `scarec ARGS` in this process through the CLI's entry function (the one main.ts calls). */
export async function scarec(args: string[], opts: { tty?: boolean } = {}): Promise<InprocResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (t: string) => (stdout += t), isTTY: opts.tty },
    stderr: { write: (t: string) => (stderr += t), isTTY: opts.tty },
  });
  return { code, stdout, stderr };
}
