// vitest globalSetup: build the CLI once per test run so CLI tests exercise the current sources.
import { build } from 'tsup';

export default async function setup(): Promise<void> {
  await build({
    entry: { index: 'src/index.ts', 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    splitting: true,
    sourcemap: true,
    dts: false,
    clean: false,
    silent: true,
    skipNodeModulesBundle: true,
    outDir: 'dist',
  });
}
