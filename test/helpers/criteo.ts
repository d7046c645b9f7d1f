import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe } from 'vitest';
import { repoRoot } from './cli.js';

/** The real Criteo Kaggle sample, by its shared path beside the checkout (never copied into the project). */
export const criteoSampleDir = resolve(repoRoot, '..', 'shared', 'data', 'criteo', 'Lapis-Hong_Wide-ResDNN');
export const criteoSample = ['train.csv', 'dev.csv', 'test.csv'].map((f) => join(criteoSampleDir, f));
export const haveCriteoSample = criteoSample.every((f) => existsSync(f));

/**
 * `describe` for tests that read the sample. In CI (CI set) they always run, so a missing sample fails loudly;
 * in a checkout without `../shared` they are skipped, and the suite's title says why.
 */
export function describeWithCriteo(title: string, body: () => void): void {
  if (haveCriteoSample || process.env.CI) describe(title, body);
  else describe.skip(`${title} (skipped: no Criteo sample at ${criteoSampleDir})`, body);
}
