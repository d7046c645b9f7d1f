import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';
import { repoRoot } from './cli.js';

/** The real Criteo Kaggle sample, by its shared path beside the checkout (never copied into the project). */
export const criteoSampleDir = resolve(repoRoot, '..', 'shared', 'data', 'criteo', 'Lapis-Hong_Wide-ResDNN');
export const criteoSample = ['train.csv', 'dev.csv', 'test.csv'].map((f) => join(criteoSampleDir, f));
export const haveCriteoSample = criteoSample.every((f) => existsSync(f));

/**
 * `describe` for tests that read the sample. In CI (CI set) they always run, so a missing sample fails loudly;
 * in a checkout without `../shared` the suite is not even collected (its setup reads the sample): one skipped
 * entry stands in for it and says why.
 */
export function describeWithCriteo(title: string, body: () => void): void {
  if (haveCriteoSample || process.env.CI) describe(title, body);
  else it.skip(`${title} (skipped: no Criteo sample at ${criteoSampleDir})`, () => {});
}
