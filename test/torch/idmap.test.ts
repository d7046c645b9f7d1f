import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPython, skipTorch, torchSkipNote } from '../helpers/torch.js';

/**
 * The executor reads a profile's id map as `scarec stats --out` writes it (README "Formats", "Id map"): ids in
 * rank order in a little-endian typed file; they become the rank -> row map when they index the table.
 */
describe.skipIf(skipTorch)(`scarec_torch reads the id map of a profile${torchSkipNote}`, () => {
  it('rank r is the id at position r (the missing row inserted at its rank); raw ids that do not index the table are not a row map', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-idmap-'));
    mkdirSync(join(dir, 'p.ids'));
    // 4 rows: counts 5, 3, 2 (ids 2, 0, 3) and the missing row with count 1 at rank 3
    writeFileSync(join(dir, 'p.ids', 'C1.u32'), Buffer.from(new Uint32Array([2, 0, 3]).buffer));
    writeFileSync(join(dir, 'p.ids', 'C2.u32'), Buffer.from(new Uint32Array([0xdeadbeef, 7, 9]).buffer));
    // ids that index the table (a permutation of [0, 4)): the rank -> row map
    writeFileSync(join(dir, 'p.ids', 'C3.u32'), Buffer.from(new Uint32Array([2, 0, 3, 1]).buffer));
    const feature = (file: string) => ({ accesses: 11, missing: 1, distinct: 4, countHistogram: [[5, 1], [3, 1], [2, 1], [1, 1]], _file: file });
    writeFileSync(
      join(dir, 'p.json'),
      JSON.stringify({
        kind: 'scarec-frequency-profile',
        version: 1,
        features: { C1: feature('C1.u32'), C2: feature('C2.u32'), C3: feature('C3.u32') },
        idMap: { dir: 'p.ids', dtype: 'uint32le', idFormat: 'criteo', features: { C1: { file: 'C1.u32', ids: 3, missingRank: 3, complete: true }, C2: { file: 'C2.u32', ids: 3, missingRank: 3, complete: true }, C3: { file: 'C3.u32', ids: 4, missingRank: null, complete: true } } },
      }),
    );
    const table = (name: string) => ({ name, rows: 4, dim: 4, distribution: { kind: 'counts', file: 'p.json', feature: name } });
    writeFileSync(join(dir, 's.json'), JSON.stringify({ name: 'idmap', tables: [table('C1'), table('C2'), table('C3')], devices: { gpus: 1, gpuMemoryBytes: 1e9, hostMemoryBytes: 1e9 }, training: { globalBatch: 8 } }));
    const code = [
      'import json, sys',
      'from scarec_torch.formats import load_scenario',
      'from scarec_torch.samplers import sampler_for',
      `s = load_scenario(${JSON.stringify(join(dir, 's.json'))})`,
      'out = {}',
      'for t in s.tables:',
      '    _, m = sampler_for(t)',
      '    out[t.name] = {"rankIds": t.rank_ids, "map": None if m.rank_to_id is None else m.rank_to_id.tolist()}',
      'print(json.dumps(out))',
    ].join('\n');
    const r = runPython(['-c', code]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.json() as Record<string, { rankIds: number[]; map: number[] | null }>;
    expect(out.C1!.rankIds).toEqual([2, 0, 3, -1]);
    // -1 (the missing row) does not index the table either: rank order stays the row order
    expect(out.C1!.map).toBeNull();
    expect(out.C2!.rankIds).toEqual([0xdeadbeef, 7, 9, -1]);
    expect(out.C2!.map).toBeNull();
    expect(out.C3!.map).toEqual([2, 0, 3, 1]);
  });
});
