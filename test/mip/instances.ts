/** The committed public instances (test/mip/instances/) and their manifest. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parseLp } from '../../src/mip/lp-format.js';
import { parseMps } from '../../src/mip/mps-read.js';
import type { Model } from '../../src/mip/model.js';

export const DIR = join(import.meta.dirname, 'instances');

export interface Entry {
  file: string;
  kind: 'lp' | 'mip';
  expected: { status: 'optimal'; objective: number; relativeTolerance: number } | { status: 'infeasible' | 'unbounded' };
  ci: boolean;
  source: { repo: string; path: string; commit: string };
}

export const MANIFEST = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { instances: Entry[] };

export async function readInstance(file: string): Promise<Model> {
  const text = gunzipSync(readFileSync(join(DIR, file))).toString('utf8');
  return file.endsWith('.lp.gz') ? parseLp(text, file) : parseMps(text, file);
}

