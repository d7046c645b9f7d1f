import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers/cli.js';


describe('a reader that closes the pipe early (scarec ... | head)', () => {
  it('ends the command quietly with status 0, no EPIPE stack trace', async () => {
    const child = spawn(process.execPath, [cliPath, 'plan', 'test/fixtures/tiny.json', '--algo', 'host', '--json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    // close our end at once: every write of the command then fails with EPIPE
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });
});
