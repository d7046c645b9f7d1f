import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCAREC_VERSION } from '../../src/cli/version.js';
import { cliPath, runCli } from '../helpers/cli.js';

/**
 * Issue 16 "Every command takes 2 to 10 s to start": the CLI entry must not load the heavy libraries;
 * each command imports them when it runs. Checked on the built chunk graph (what `node dist/cli/main.js`
 * loads before any command runs: the static imports from main.js, transitively), so the test is speed-
 * independent. bench/startup.bench.ts measures the time.
 */
// zod too: not heavy, but a third of a bad-input error's start-up on this machine; commands load it with the scenario
const HEAVY = ['mathjs', 'jsdom', 'd3', 'glpk.js', 'highs', 'gpu.js', 'webgpu', 'javascript-lp-solver', 'zod'];

/** Static imports of an ESM file and the files they load, transitively; returns the files and the packages. */
function staticGraph(entry: string, followDynamicOfEntry = false): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    // main.js imports the command definitions (program.ts) dynamically after its --version shortcut:
    // those load before any command runs, so they count as start-up
    if (followDynamicOfEntry && file === entry)
      for (const m of text.matchAll(/import\(\s*["'](\.[^"']+)["']\s*\)/g)) visit(resolve(dirname(file), m[1]!));
    // `import x from "y"`, `import "y"`, `export ... from "y"` at the start of a line (esbuild's output);
    // `import("y")` is dynamic and not followed
    for (const m of text.matchAll(/^\s*(?:import|export)\s*(?:[^'"();]*?\sfrom\s*)?["']([^"']+)["'];?\s*$/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('CLI start-up', () => {
  it('main.js loads none of the heavy libraries before a command runs', () => {
    expect(existsSync(cliPath)).toBe(true);
    const { files, packages } = staticGraph(cliPath, true);
    for (const h of HEAVY) expect([...packages], `${h} is loaded at start-up`).not.toContain(h);
    // the scanner sees the graph at all: main.js imports its own chunks and commander
    expect(files.size).toBeGreaterThan(1);
    expect([...packages]).toContain('commander');
  });
  it('the heavy libraries are still reachable through dynamic imports (the commands that need them load them)', () => {
    const all = new Set<string>();
    const { files } = staticGraph(cliPath, true);
    const queue = [...files];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const f = queue.pop()!;
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/import\(\s*["']([^"']+)["']\s*\)|from\s*["']([^"']+)["']/g)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('.')) {
          const next = resolve(dirname(f), spec);
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        } else all.add(spec.split('/')[0]!);
      }
    }
    for (const h of ['mathjs', 'jsdom', 'd3', 'glpk.js', 'highs']) expect([...all]).toContain(h);
  });
  it('--version prints the package version (src/cli/version.ts matches package.json)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(SCAREC_VERSION).toBe(pkg.version);
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});
