import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { torchPython } from '../../src/calibrate/torch.js';
import { repoRoot } from './cli.js';

/**
 * The interpreter with PyTorch (Debian's python3-torch: /usr/bin/python3, or $SCAREC_PYTHON), or undefined.
 * Without it the torch tests are skipped and say so, except under CI (.ci/system-packages.sh installs it),
 * where they run and fail.
 */
export const torch: { python: string; torchVersion: string } | undefined = (() => {
  try {
    return torchPython();
  } catch {
    return undefined;
  }
})();
export const skipTorch = !torch && !process.env.CI;
export const torchSkipNote = skipTorch ? ' (skipped: no python3 with torch here; apt-get install python3-torch)' : '';

/** Run a python script of test/torch/ (or -m args) with python/ on the path; stdout parsed as JSON. */
export function runPython(args: string[], timeoutMs = 120_000): { code: number; stdout: string; stderr: string; json: () => unknown } {
  const r = spawnSync(torch?.python ?? '/usr/bin/python3', args, {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, PYTHONPATH: join(repoRoot, 'python') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}
