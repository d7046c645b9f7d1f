import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idToken, planToIdMap, type LoadedIdOrder } from '../../src/data/idmap.js';
import { computeStats } from '../../src/data/stats.js';
import type { IdOrder } from '../../src/data/idmap.js';
import { buildScenario } from '../../src/model/scenario.js';
import { checkPlan } from '../../src/model/plan.js';
import { runCli } from '../helpers/cli.js';
import { criteoSample, describeWithCriteo } from '../helpers/criteo.js';

/** A little-endian uint32 file, read value by value. */
function u32(file: string): Uint32Array {
  const b = readFileSync(file);
  return Uint32Array.from({ length: b.length / 4 }, (_, i) => b.readUInt32LE(4 * i));
}

/** Independent count of one Criteo categorical column: token -> count (empty values skipped). */
function countColumn(files: string[], column: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of files)
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line === '') continue;
      const tok = line.split('\t')[14 + column]!;
      if (tok) m.set(tok, (m.get(tok) ?? 0) + 1);
    }
  return m;
}

describe('planToIdMap', () => {
  it('ranks to ids per class, the missing row at its own rank, rows past the map as unseen', () => {
    const scenario = buildScenario(
      {
        name: 'ids',
        tables: [{ name: 'T', rows: 8, dim: 2, bytesPerElement: 4, pooling: 1, distribution: { kind: 'uniform' } }],
        devices: { gpus: 2, gpuMemoryBytes: 1e6, gpuGatherBytesPerSec: 1e9, hostMemoryBytes: 1e9, hostGatherBytesPerSec: 1e8 },
        links: { hostToGpuBytesPerSec: 1e7, gpuToGpuBytesPerSec: 1e8, latencySec: 1e-6 },
        training: { globalBatch: 4, denseSecondsPerSample: 1e-6, overlap: 'serial' },
      },
      { file: 'ids.json', baseDir: '.' },
    );
    // ranks 0..5 known: ids 50, 40, (missing row at rank 2), 30, 20, 10; ranks 6, 7 unseen
    const order: LoadedIdOrder = { ids: Uint32Array.from([50, 40, 30, 20, 10]), missingRank: 2, complete: true, idFormat: 'decimal', dtype: 'uint32le' };
    const plan = checkPlan(
      { tables: { T: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 3, at: 'gpu', gpu: 1 }, { from: 3, to: 5, at: 'gpu', gpu: 0 }, { from: 5, to: 8, at: 'host' }] } },
      scenario,
    );
    const [t] = planToIdMap(scenario, plan, { T: order });
    const byKey = Object.fromEntries(t!.classes.map((c) => [c.at === 'gpu' ? `gpu${c.gpu}` : c.at, { ids: [...c.ids], missingRow: c.missingRow, unseenRows: c.unseenRows }]));
    expect(byKey).toEqual({
      replicated: { ids: [50], missingRow: false, unseenRows: 0 },
      gpu1: { ids: [40], missingRow: true, unseenRows: 0 },
      gpu0: { ids: [30, 20], missingRow: false, unseenRows: 0 },
      host: { ids: [10], missingRow: false, unseenRows: 2 },
    });
    expect(t!.unseen).toEqual({ at: 'host' });
  });
});

describeWithCriteo('the id map of the real Criteo sample', () => {
  it('every id in rank order: count decreasing, ties by increasing id; tokens as in the files; topIds its head', async () => {
    const idOrders: Record<string, IdOrder> = {};
    const p = await computeStats(criteoSample, { idOrders });
    for (const j of [0, 2, 11, 25]) {
      const name = `C${j + 1}`;
      const counts = countColumn(criteoSample, j);
      const order = idOrders[name]!;
      expect(order.complete).toBe(true);
      expect(order.keys.length).toBe(counts.size);
      const tokens = [...order.keys].map((k) => idToken(k, 'hex8'));
      expect(new Set(tokens)).toEqual(new Set(counts.keys()));
      for (let r = 1; r < tokens.length; r++) {
        const a = counts.get(tokens[r - 1]!)!;
        const b = counts.get(tokens[r]!)!;
        expect(a > b || (a === b && order.keys[r - 1]! < order.keys[r]!), `${name} ranks ${r - 1}, ${r}`).toBe(true);
      }
      expect(p.features[name]!.topIds.map(([id]) => id)).toEqual(tokens.slice(0, p.features[name]!.topIds.length));
    }
  });

  it('stats --out writes the map beside the profile; plan, then export --format ids gives each rank range its ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-ids-'));
    const profile = join(dir, 'criteo.json');
    const s = runCli(['stats', ...criteoSample, '--out', profile]);
    expect(s.code, s.stderr).toBe(0);
    const prof = JSON.parse(readFileSync(profile, 'utf8'));
    expect(prof.idMap).toMatchObject({ dir: 'criteo.ids', dtype: 'uint32le', idFormat: 'hex8' });
    const features = ['C3', 'C4', 'C12'];
    // 100 rows more than the sample saw: ranks past the map are unseen rows
    const tables = features.map((f) => ({ name: f, rows: prof.features[f].distinct + 100, dim: 16, bytesPerElement: 4, pooling: 1, distribution: { kind: 'counts', file: 'criteo.json', feature: f } }));
    const scenario = {
      name: 'criteo-sample',
      tables,
      devices: { gpus: 2, gpuMemoryBytes: 2e5, gpuGatherBytesPerSec: 1e12, hostMemoryBytes: 1e10, hostGatherBytesPerSec: 1e11 },
      links: { hostToGpuBytesPerSec: 2e10, gpuToGpuBytesPerSec: 3e11, latencySec: 1e-6 },
      training: { globalBatch: 4096, denseSecondsPerSample: 1e-8, overlap: 'serial' },
    };
    const scenarioFile = join(dir, 'scenario.json');
    writeFileSync(scenarioFile, JSON.stringify(scenario));
    const planFile = join(dir, 'plan.json');
    const pl = runCli(['plan', scenarioFile, '--algo', 'greedy', '--out', planFile]);
    expect(pl.code, pl.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8'));
    const out = join(dir, 'ids');
    const ex = runCli(['export', scenarioFile, '--format', 'ids', '--plan', planFile, '--out', out]);
    expect(ex.code, ex.stderr).toBe(0);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index).toMatchObject({ kind: 'scarec-plan-ids', version: 1, scenario: 'criteo-sample', batch: plan.batch });
    const classesSeen = new Set<string>();
    for (const f of features) {
      const j = Number(f.slice(1)) - 1;
      const counts = countColumn(criteoSample, j);
      const rankIds = u32(join(dir, 'criteo.ids', `${f}.u32`));
      expect(rankIds.length).toBe(counts.size);
      const t = index.tables[f];
      const files = new Map<string, Uint32Array>(t.classes.map((c: { at: string; gpu?: number; file: string }) => [c.at === 'gpu' ? `gpu${c.gpu}` : c.at, u32(join(out, c.file))]));
      // walk the plan's ranges in rank order: each class file holds its ranges' ids, in order
      const cursor = new Map<string, number>();
      for (const r of plan.tables[f] as Array<{ from: number; to: number; at: string; gpu?: number }>) {
        const key = r.at === 'gpu' ? `gpu${r.gpu}` : r.at;
        classesSeen.add(r.at);
        const ids = files.get(key)!;
        const to = Math.min(r.to, rankIds.length);
        for (let q = r.from; q < to; q++) {
          const k = cursor.get(key) ?? 0;
          expect(ids[k]).toBe(rankIds[q]);
          cursor.set(key, k + 1);
        }
      }
      for (const [key, ids] of files) expect(cursor.get(key) ?? 0, `${f} ${key}`).toBe(ids.length);
      // every id the sample saw is placed exactly once; the hottest token is the sample's most frequent
      const all = [...files.values()].flatMap((a) => [...a]);
      expect(all.length).toBe(counts.size);
      expect(new Set(all).size).toBe(counts.size);
      const hottest = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
      expect(idToken(rankIds[0]!, 'hex8')).toBe(hottest);
      expect(t.classes.reduce((s: number, c: { unseenRows: number }) => s + c.unseenRows, 0)).toBe(100);
    }
    // the small GPUs make the plan use more than one class (so the test exercises the split)
    expect(classesSeen.size).toBeGreaterThan(1);
  }, 300_000);
});
