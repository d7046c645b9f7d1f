import { defineConfig } from 'tsup';

// ESM only: glpk.js and other dependencies are ESM-only, and a CJS bundle breaks on them.
export default defineConfig({
  entry: { index: 'src/index.ts', 'cli/main': 'src/cli/main.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  // Dependencies stay external: they are installed next to the package.
  skipNodeModulesBundle: true,
});
