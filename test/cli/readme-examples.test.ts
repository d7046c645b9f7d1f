import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers/cli.js';
import { criteoSampleDir, haveCriteoSample } from '../helpers/criteo.js';

/**
 * Every shell example of the README (the ```sh blocks), run as written, in order, in a scratch directory laid
 * out like the checkout (models/ and ../shared linked), with `npx scarec` as the built CLI (npx would resolve
 * the same bin in the checkout). Lines run by the checkout's own scripts (`npm ci`, `npm start`, `npm test`) are
 * left out: they are what runs this test. An external binary (glpsol) that is absent skips its line, saying so.
 */
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
const runnable = examples.filter((l) => !/^npm /.test(l));

const root = mkdtempSync(join(tmpdir(), 'scarec-readme-'));
const work = join(root, 'checkout');
mkdirSync(work);
symlinkSync(join(repoRoot, 'models'), join(work, 'models'));
symlinkSync(resolve(repoRoot, '..', 'shared'), join(root, 'shared'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

describe('README examples run as written', () => {
  it('the README has examples, and each is an npx scarec, npm or solver command', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(8);
    for (const l of runnable) expect(l).toMatch(/^(npx scarec|glpsol|cbc) /);
  });
  // files an example writes, so that a line reading what a skipped line would have written is skipped too
  const notWritten = new Set<string>();
  for (const line of runnable) {
    const needs = ['glpsol', 'cbc'].filter((b) => new RegExp(`(^|&& )${b} `).test(line));
    const missing = needs.filter((b) => !has(b));
    const outs = [...line.matchAll(/--out\s+(\S+)/g)].map((m) => m[1]!);
    const reads = [...notWritten].some((f) => line.split(/\s+/).includes(f) && !outs.includes(f));
    const sample = line.includes('../shared/data/criteo') || reads;
    if (missing.length > 0 || (sample && !haveCriteoSample && !process.env.CI)) {
      outs.forEach((f) => notWritten.add(f));
      it.skip(`${line} (skipped: ${missing.length ? `no ${missing.join(', ')} on PATH` : `no Criteo sample at ${criteoSampleDir}`})`, () => {});
      continue;
    }
    it(line, () => {
      const cmd = line.replace(/\bnpx scarec\b/g, `"${process.execPath}" "${cliPath}"`);
      const r = spawnSync('bash', ['-c', cmd], { cwd: work, encoding: 'utf8', timeout: 400_000, maxBuffer: 256 << 20 });
      expect(r.status, `${line}\n${r.stderr.slice(-2000)}`).toBe(0);
    }, 420_000);
  }
});
