import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { criteoSample, describeWithCriteo } from '../helpers/criteo.js';
import { runCli } from '../helpers/cli.js';
import { HyperLogLog } from '../../src/data/hyperloglog.js';
import { mergeProfiles } from '../../src/data/merge.js';
import type { IdOrder } from '../../src/data/idmap.js';
import { computeStats, type StatsProfile } from '../../src/data/stats.js';

/** The sample's files cut into k shards of whole lines (train.csv split in the middle, dev and test as they are). */
function shards(dir: string): string[] {
  const lines = readFileSync(criteoSample[0]!, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const half = Math.floor(lines.length / 2);
  const a = join(dir, 'train-a.csv');
  const b = join(dir, 'train-b.csv');
  writeFileSync(a, `${lines.slice(0, half).join('\n')}\n`);
  writeFileSync(b, `${lines.slice(half).join('\n')}\n`);
  return [a, b, criteoSample[1]!, criteoSample[2]!];
}

const strip = (p: StatsProfile) => Object.fromEntries(Object.entries(p.features).map(([n, f]) => [n, { ...f, mergeable: undefined }]));

describeWithCriteo('stats --merge on the real Criteo sample', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scarec-merge-'));
  const parts = shards(dir);

  for (const missing of ['skip', 'row'] as const) {
    it(`exact mode (--missing ${missing}): the merged profile of 4 shards equals the whole input's, feature by feature`, async () => {
      const whole = await computeStats(criteoSample, { missing, keepCounts: true });
      const shardProfiles = await Promise.all(parts.map((f) => computeStats([f], { missing, keepCounts: true })));
      const merged = mergeProfiles(shardProfiles, parts);
      expect(strip(merged)).toEqual(strip(whole));
      expect(merged.source.lines).toBe(whole.source.lines);
      // the merged counts themselves: key by key
      for (const [n, f] of Object.entries(whole.features)) expect(merged.features[n]!.mergeable).toEqual(f.mergeable);
    }, 60_000);

    it(`exact mode (--missing ${missing}): the merged id map of 4 shards equals the whole input's id map, id by id`, async () => {
      const wholeOrders: Record<string, IdOrder> = {};
      await computeStats(criteoSample, { missing, keepCounts: true, idOrders: wholeOrders });
      const shardProfiles = await Promise.all(parts.map((f) => computeStats([f], { missing, keepCounts: true })));
      const mergedOrders: Record<string, IdOrder> = {};
      mergeProfiles(shardProfiles, parts, { idOrders: mergedOrders });
      expect(Object.keys(mergedOrders)).toEqual(Object.keys(wholeOrders));
      for (const [n, o] of Object.entries(wholeOrders)) {
        expect(mergedOrders[n]!.keys.length).toBe(o.keys.length);
        // a wrong tie order or a lost shard's ids would differ somewhere in the sequence
        expect(Array.from(mergedOrders[n]!.keys)).toEqual(Array.from(o.keys));
        expect(mergedOrders[n]!.missingRank).toBe(o.missingRank);
        expect(mergedOrders[n]!.complete).toBe(true);
      }
    }, 60_000);
  }

  it('summaries (memory budget, id streams of 4 x 40,000 heavy-tailed ids): every merged count within its stated bound of the true count; HyperLogLog registers equal the whole input\'s sketch', async () => {
    // deterministic ids, half heavy-tailed (u^-2), half uniform over 1e7 (a fixed LCG): tens of thousands of distinct ids, far more than the capped table holds
    let x = 12345;
    const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), (x + 0.5) / 2 ** 32);
    const idFiles = [0, 1, 2, 3].map((k) => {
      const f = join(dir, `ids-${k}.txt`);
      writeFileSync(f, `${Array.from({ length: 40000 }, () => (next() < 0.5 ? Math.floor(next() ** -2) % 1000000007 : Math.floor(next() * 1e7))).join('\n')}\n`);
      return f;
    });
    const exact = await computeStats(idFiles, { format: 'ids', keepCounts: true });
    const budget = 70000; // the initial table only: it becomes a summary once full
    const shardProfiles = await Promise.all(idFiles.map((f) => computeStats([f], { format: 'ids', keepCounts: true, memoryBytes: budget })));
    expect(shardProfiles.every((p) => p.memory.approximateFeatures.length === 1)).toBe(true);
    const merged = mergeProfiles(shardProfiles, idFiles);
    const f = merged.features.id!;
    const e = exact.features.id!;
    const truth = new Map(e.mergeable!.keys.map((k, i) => [k, e.mergeable!.counts[i]!]));
    expect(f.approximate).toBe(true);
    expect(f.accesses).toBe(e.accesses);
    const m = f.mergeable!;
    const eps = f.countErrorBound!;
    expect(eps).toBe(m.errorBound);
    // the stated bound: the shards' bounds plus the merge's own reduction threshold, at most N / (k + 1) overall
    expect(eps).toBeGreaterThanOrEqual(shardProfiles.reduce((s, p) => s + p.features.id!.countErrorBound!, 0));
    const kMin = Math.min(...shardProfiles.map((p) => Math.floor(p.features.id!.mergeable!.maxKeys! / 2)));
    const keptSum = m.counts.reduce((a, c) => a + c, 0);
    expect(eps).toBeLessThanOrEqual((e.accesses - keptSum) / (kMin + 1) + 1e-9); // proofs/heavy-hitters.md §5
    m.keys.forEach((k, i) => {
      const t = truth.get(k)!;
      expect(m.counts[i]!).toBeLessThanOrEqual(t);
      expect(m.counts[i]!).toBeGreaterThanOrEqual(t - eps);
    });
    // every key above the bound is kept (Misra-Gries: its count stays positive)
    const kept = new Set(m.keys);
    for (const [k, t] of truth) if (t > eps) expect(kept.has(k)).toBe(true);
    // the register-wise maximum is the sketch of the union
    const hll = new HyperLogLog(m.hllPrecision!);
    for (const k of truth.keys()) hll.add(k % 2 ** 32, Math.floor(k / 2 ** 32));
    expect(m.hllRegisters).toBe(Buffer.from(hll.registers).toString('base64'));
    expect(f.distinct).toBe(Math.max(m.keys.length, Math.round(hll.estimate())));
    expect(Math.abs(f.distinct - truth.size) / truth.size).toBeLessThan(4 * f.distinctRelativeStdError!);
  }, 60_000);

  it('CLI: stats --keep-counts per shard, then stats --merge, equals stats of the whole input; profiles without counts are refused (exit 2)', () => {
    const two = parts.slice(0, 2);
    const outs = two.map((f, i) => {
      const out = join(dir, `p${i}.json`);
      expect(runCli(['stats', f, '--keep-counts', '--out', out]).code).toBe(0);
      return out;
    });
    const merged = join(dir, 'merged.json');
    expect(runCli(['stats', '--merge', ...outs, '--out', merged]).code).toBe(0);
    const whole = join(dir, 'whole.json');
    expect(runCli(['stats', criteoSample[0]!, '--out', whole]).code).toBe(0);
    const a = JSON.parse(readFileSync(merged, 'utf8')) as StatsProfile;
    const b = JSON.parse(readFileSync(whole, 'utf8')) as StatsProfile;
    expect(a.features).toEqual(b.features);
    expect(a.source.lines).toBe(b.source.lines);
    // the merged profile's id map: the same typed files, byte for byte, as the whole input's
    expect(a.idMap).toBeDefined();
    expect(a.idMap!.features).toEqual(b.idMap!.features);
    for (const e of Object.values(b.idMap!.features))
      expect(readFileSync(join(dir, a.idMap!.dir, e.file)).equals(readFileSync(join(dir, b.idMap!.dir, e.file)))).toBe(true);
    const r = runCli(['stats', '--merge', whole, outs[0]!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/whole\.json: features\.C1: .*--keep-counts/);
  }, 120_000);
});
