import { InputError } from '../errors.js';
import { kthLargest } from './counter.js';
import { HyperLogLog } from './hyperloglog.js';
import { rankOrder, type IdOrder } from './idmap.js';
import { countHistogramOf, featureProfile, type CounterView, type FeatureProfile, type MergeableCounts } from './profile.js';
import type { StatsProfile } from './stats.js';


/**
 * `scarec stats --merge PROFILE...`: profiles computed separately (one per day file, by any parallel runner)
 * combined into the profile of the whole input (proofs/heavy-hitters.md §5):
 * - exact features: counts add key by key, so the merged histogram, top ids and fits equal the whole input's;
 * - Misra-Gries summaries: counts add, then one reduction back to the summary size; every merged count is low by
 *   at most the sum of the shards' bounds plus that reduction's threshold;
 * - HyperLogLog: registers merge by maximum, which is the sketch of the union itself.
 * Every profile must have been written with `--keep-counts` (the keys and registers are what merge).
 */

const TWO32 = 4294967296;

function mergeFeature(name: string, parts: Array<{ f: FeatureProfile; file: string }>, topIds: number, idFormat: 'hex8' | 'decimal', idOrders?: Record<string, IdOrder>): FeatureProfile {
  const sum = new Map<number, number>();
  let accesses = 0;
  let missing = 0;
  let malformed = 0;
  let missingRowCount = 0;
  let approximate = false;
  let errorBound = 0;
  let maxKeys = 0;
  let hll: HyperLogLog | null = null;
  for (const { f, file } of parts) {
    const m = f.mergeable;
    if (!m) throw new InputError(`feature ${name} has no mergeable counts: write the profiles with scarec stats --keep-counts`, `${file}: features.${name}`);
    for (let i = 0; i < m.keys.length; i++) sum.set(m.keys[i]!, (sum.get(m.keys[i]!) ?? 0) + m.counts[i]!);
    // accesses of the keys (the missing row, with --missing row, is added back by featureProfile)
    accesses += f.accesses - m.missingRowCount;
    missing += f.missing;
    malformed += f.malformed;
    missingRowCount += m.missingRowCount;
    if (f.approximate) {
      approximate = true;
      errorBound += m.errorBound ?? 0;
      maxKeys = Math.max(maxKeys, m.maxKeys ?? 0);
    }
  }
  // one sketch over every shard: registers by maximum; an exact shard adds its keys (it holds all of them)
  if (approximate) {
    const precision = parts.find((p) => p.f.approximate)!.f.mergeable!.hllPrecision!;
    hll = new HyperLogLog(precision);
    for (const { f, file } of parts) {
      const m = f.mergeable!;
      if (f.approximate) {
        if (m.hllPrecision !== precision) throw new InputError(`HyperLogLog precision ${m.hllPrecision} differs from ${precision}`, `${file}: features.${name}.mergeable`);
        const regs = Buffer.from(m.hllRegisters!, 'base64');
        if (regs.length !== hll.registers.length) throw new InputError('HyperLogLog registers have the wrong length', `${file}: features.${name}.mergeable.hllRegisters`);
        for (let j = 0; j < regs.length; j++) if (regs[j]! > hll.registers[j]!) hll.registers[j] = regs[j]!;
      } else for (const k of m.keys) hll.add(k % TWO32, Math.floor(k / TWO32));
    }
  }
  let keys = [...sum.keys()];
  let counts = keys.map((k) => sum.get(k)!);
  if (approximate && keys.length > maxKeys) {
    // one Misra-Gries reduction back to the summary size (k = floor(maxKeys / 2), as the counter does)
    const k = Math.floor(maxKeys / 2);
    const t = kthLargest(Float64Array.from(counts), k);
    const kept = keys.map((key, i) => [key, counts[i]! - t] as const).filter(([, c]) => c > 0);
    keys = kept.map(([key]) => key);
    counts = kept.map(([, c]) => c);
    errorBound += t;
  }
  const keysLo = Uint32Array.from(keys, (k) => k % TWO32);
  const keysHi = Uint32Array.from(keys, (k) => Math.floor(k / TWO32));
  const view: CounterView = {
    slots: () => ({ keysLo, keysHi, counts: Float64Array.from(counts) }),
    distinct: () => (hll ? Math.max(keys.length, Math.round(hll.estimate())) : keys.length),
    accesses,
    approximate,
    size: keys.length,
    errorBound,
    hll,
  };
  const profile = featureProfile(view, { topIds, idFormat, missingRowCount, missing, malformed });
  // the merged id map: the merged counts in rank order, as stats ranks the whole input's counter (same ties)
  if (idOrders) idOrders[name] = rankOrder(view, countHistogramOf(view), missingRowCount);
  const merged: MergeableCounts = { keys: [...keys].sort((a, b) => a - b), counts: [], missingRowCount };
  const byKey = new Map(keys.map((k, i) => [k, counts[i]!]));
  merged.counts = merged.keys.map((k) => byKey.get(k)!);
  if (approximate) Object.assign(merged, { maxKeys, errorBound, hllPrecision: hll!.precision, hllRegisters: Buffer.from(hll!.registers).toString('base64') });
  profile.mergeable = merged;
  return profile;
}

/**
 * Merge profiles read from `files` (for error messages). Format, missing mode and features must agree. With
 * `idOrders`, each feature's id order (ids by merged count, ties by id) is put there, for `writeIdMap`.
 */
export function mergeProfiles(profiles: StatsProfile[], files: string[], opts: { topIds?: number; idOrders?: Record<string, IdOrder> } = {}): StatsProfile {
  if (profiles.length === 0) throw new InputError('no profiles to merge');
  const first = profiles[0]!;
  profiles.forEach((p, i) => {
    if (p.kind !== 'scarec-frequency-profile') throw new InputError('not a scarec frequency profile', `${files[i]}: kind`);
    if (p.format !== first.format) throw new InputError(`format "${p.format}" differs from "${first.format}" (${files[0]})`, `${files[i]}: format`);
    if (p.missing !== first.missing) throw new InputError(`missing mode "${p.missing}" differs from "${first.missing}" (${files[0]})`, `${files[i]}: missing`);
    const a = Object.keys(p.features).join(',');
    if (a !== Object.keys(first.features).join(',')) throw new InputError(`features differ from ${files[0]}'s`, `${files[i]}: features`);
  });
  const topIds = opts.topIds ?? Math.max(...profiles.map((p) => Math.max(0, ...Object.values(p.features).map((f) => f.topIds.length))));
  const idFormat = first.format === 'criteo' ? 'hex8' : 'decimal';
  const features: Record<string, FeatureProfile> = {};
  for (const name of Object.keys(first.features)) features[name] = mergeFeature(name, profiles.map((p, i) => ({ f: p.features[name]!, file: files[i]! })), topIds, idFormat, opts.idOrders);
  const byReason = { ...first.malformed.byReason };
  for (const p of profiles.slice(1)) for (const [r, n] of Object.entries(p.malformed.byReason)) byReason[r as keyof typeof byReason] = (byReason[r as keyof typeof byReason] ?? 0) + n;
  return {
    kind: 'scarec-frequency-profile',
    version: 1,
    format: first.format,
    missing: first.missing,
    source: {
      files: profiles.flatMap((p) => p.source.files),
      lines: profiles.reduce((s, p) => s + p.source.lines, 0),
      bytes: profiles.reduce((s, p) => s + p.source.bytes, 0),
      uncompressedBytes: profiles.reduce((s, p) => s + p.source.uncompressedBytes, 0),
    },
    malformed: { lines: profiles.reduce((s, p) => s + p.malformed.lines, 0), byReason, first: profiles.flatMap((p) => p.malformed.first).slice(0, 20) },
    memory: {
      budgetBytes: first.memory.budgetBytes,
      tableBytes: Math.max(...profiles.map((p) => p.memory.tableBytes)),
      approximateFeatures: Object.keys(features).filter((n) => features[n]!.approximate),
    },
    features,
  };
}
