import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** proofs/README.md is the index of the proofs: it must list every proof and name only tests that exist. */
describe('proofs/README.md', () => {
  const index = readFileSync('proofs/README.md', 'utf8');
  const files = readdirSync('proofs').filter((f) => f.endsWith('.md') && f !== 'README.md');

  it('links every proofs/*.md file', () => {
    expect(files.length).toBeGreaterThan(0);
    const missing = files.filter((f) => !index.includes(`](${f})`));
    expect(missing).toEqual([]);
  });

  it('every linked file exists and every test it names exists', () => {
    const linked = [...index.matchAll(/\]\(([^)]+\.md)\)/g)].map((m) => m[1]!);
    expect(linked.filter((f) => !existsSync(`proofs/${f}`))).toEqual([]);
    const tests = [...index.matchAll(/`(test\/[^`]+\.test\.ts)`/g)].map((m) => m[1]!);
    expect(tests.length).toBeGreaterThanOrEqual(files.length);
    expect(tests.filter((t) => !existsSync(t))).toEqual([]);
  });
});
