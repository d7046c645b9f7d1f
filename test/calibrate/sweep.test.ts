import { describe, expect, it } from 'vitest';
import type { CalibrationBackend, DeviceTable, TimingOptions } from '../../src/calibrate/backend.js';
import { COPY_FIT_FRACTION, DEDUP_LATENCY_MAX_LOOKUPS, QUICK_EVICT_BYTES, copySizes, fitCopyLaw, fitProfile, runSweep, skewsFor, sweepPlan, sweepSteps, type SweepPlan } from '../../src/calibrate/harness.js';
import { gatherRows } from '../../src/calibrate/kernels.js';
import { goldenScatter } from '../../src/calibrate/rng.js';

/**
 * A backend with a virtual clock: every call "takes" the cost law's seconds times a drift that grows with the
 * number of calls made so far (a shared machine getting busier during the sweep). Results are exact, so the
 * checks pass; the timings are what the harness has to see through (proofs/calibration-fit.md §8).
 */
function driftingBackend(law: { perRow: number; bytesPerSec: number; latency: number }, drift: (call: number) => number): CalibrationBackend & { calls: () => number } {
  let calls = 0;
  const t = (rows: number, bytes: number) => (law.latency + rows * law.perRow + bytes / law.bytesPerSec) * drift(calls++);
  type T = DeviceTable & { data: Float32Array };
  return {
    name: 'cpu',
    device: 'virtual',
    maxBufferBytes: 1 << 30,
    calls: () => calls,
    async uploadTable(data, rows, dim) {
      return { rows, dim, data } as T;
    },
    freeTable() {},
    async gather(table, stream, lookups, _timing: TimingOptions) {
      const tb = table as T;
      return { seconds: t(lookups, lookups * tb.dim * 4), out: gatherRows(tb.data, tb.dim, stream.subarray(0, lookups)) };
    },
    async update(table, _stream, lookups) {
      return { seconds: t(lookups, 2 * lookups * (table as T).dim * 4), ok: true };
    },
    async dedup(stream, lookups) {
      const idx = stream.subarray(0, lookups);
      const unique = [...new Set(idx)];
      const pos = new Map(unique.map((u, i) => [u, i]));
      return { seconds: (2e-5 + lookups * 30e-9) * drift(calls++), unique: Uint32Array.from(unique), inverse: Uint32Array.from(idx, (v) => pos.get(v)!) };
    },
    async copy(bytes) {
      return { seconds: (1e-6 + bytes / 20e9) * drift(calls++), ok: true };
    },
    async dispose() {},
  };
}

const tinyPlan = (rounds: number): SweepPlan => ({
  ...sweepPlan({ quick: true, llcBytes: 1 << 16, maxBufferBytes: 1 << 30 }),
  tableBytes: [1 << 14, 1 << 20],
  lookups: [64, 256, 1024],
  dedupLookups: [256, 1024, 4096],
  streamLookups: 1 << 12,
  dedupRows: 1 << 12,
  dedupEvictBytes: 0,
  rounds,
});

describe('the interleaved sweep (proofs/calibration-fit.md §8)', () => {
  const law = { perRow: 200e-9, bytesPerSec: 4e9, latency: 1e-6 };
  it('takes every measurement once per round and records each round', async () => {
    const plan = tinyPlan(5);
    const b = driftingBackend(law, () => 1);
    const ms = await runSweep(b, plan);
    expect(ms.length * plan.rounds).toBe(sweepSteps(plan, ['hostToDevice', 'deviceToHost', 'deviceToDevice'], true));
    for (const m of ms) {
      expect(m.roundSeconds).toHaveLength(5);
      expect(m.correct).toBe(true);
    }
  });
  it('under a drift during the sweep, interleaved rounds keep the per-row / per-byte split; one sequential pass tilts it', async () => {
    // the machine gets 60% slower over the sweep, linearly in calls
    const total = sweepSteps(tinyPlan(5), ['hostToDevice', 'deviceToHost', 'deviceToDevice'], true);
    const ramp = (n: number) => (c: number) => 1 + (0.6 * Math.min(c, n)) / n;
    const split = async (rounds: number, n: number) => {
      const { profile } = fitProfile({ name: 'cpu', device: 'virtual' }, await runSweep(driftingBackend(law, ramp(n)), tinyPlan(rounds)), { resamples: 0 });
      const c = profile.constants;
      // the share of a 2 KiB row's time that is per-row (the split the drift can tilt)
      const perRow = c.hostGatherSecondsPerRow!;
      return perRow / (perRow + 2048 / c.hostGatherBytesPerSec!);
    };
    const truth = law.perRow / (law.perRow + 2048 / law.bytesPerSec);
    const interleaved = await split(5, total);
    const sequential = await split(1, total / 5);
    expect(Math.abs(interleaved - truth) / truth).toBeLessThan(0.05);
    expect(Math.abs(sequential - truth)).toBeGreaterThan(Math.abs(interleaved - truth));
  });
  it('a profile from rounds carries confidence intervals that contain the drift-free constants', async () => {
    // round-to-round noise: +-10% per call, seeded
    let s = 12345;
    const noise = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return 1 + 0.2 * (s / 2147483648 - 0.5);
    };
    const { profile } = fitProfile({ name: 'cpu', device: 'virtual' }, await runSweep(driftingBackend(law, noise), tinyPlan(9)), { resamples: 200 });
    const ci = profile.confidence!;
    expect(ci.rounds).toBe(9);
    expect(ci.resamples).toBe(200);
    const contains = (k: string, v: number) => {
      const i = ci.intervals[k]!;
      // a 90% interval: the truth inside, with a little slack for the noise's median bias
      expect(i.low * 0.97, k).toBeLessThanOrEqual(v);
      expect(i.high * 1.03, k).toBeGreaterThanOrEqual(v);
    };
    contains('hostGatherSecondsPerRow', law.perRow);
    contains('hostGatherBytesPerSec', law.bytesPerSec);
    contains('dedupSecondsPerLookup', 30e-9);
    contains('hostToGpuBytesPerSec', 20e9);
    for (const [k, v] of Object.entries(profile.constants)) expect(Number.isFinite(v as number), k).toBe(true);
  });
});

describe('one copy law on the cpu', () => {
  it('copies of one direction give all three link constants (the cpu pools them into one law)', async () => {
    const plan = tinyPlan(3);
    const ms = await runSweep(driftingBackend({ perRow: 200e-9, bytesPerSec: 4e9, latency: 1e-6 }, () => 1), plan, { copyDirections: ['deviceToDevice'] });
    expect(ms.filter((m) => m.family === 'copy').every((m) => m.family === 'copy' && m.direction === 'deviceToDevice')).toBe(true);
    const { profile } = fitProfile({ name: 'cpu', device: 'virtual' }, ms, { resamples: 0 });
    for (const k of ['hostToGpuBytesPerSec', 'gpuToHostBytesPerSec', 'gpuToGpuBytesPerSec'] as const) expect(profile.constants[k], k).toBeCloseTo(20e9, -6);
  });
});

describe('the copy bandwidth past the caches (proofs/calibration-fit.md §4)', () => {
  it('copies that run from the cache do not enter the bandwidth: the fit returns the memory bandwidth', () => {
    // a 32 MiB last-level cache, top = 4 x LLC = 128 MiB (the sweep's copySizes); as measured here: copies whose
    // source and destination fit in the cache run at 60 GB/s, half-fitting ones at 30 GB/s, larger ones at the
    // memory's 21 GB/s, each with 5 us latency
    const llc = 32 << 20;
    const bandwidthAt = (bytes: number) => (bytes <= llc / 4 ? 60e9 : bytes < llc ? 30e9 : 21e9);
    const copies = copySizes(4 * llc).map((bytes) => {
      const seconds = 5e-6 + bytes / bandwidthAt(bytes);
      return { family: 'copy' as const, direction: 'deviceToDevice' as const, bytes, seconds, bytesPerSec: bytes / seconds, correct: true, roundSeconds: [seconds] };
    });
    const fit = fitCopyLaw(copies, 'copy/deviceToDevice')!;
    expect(fit.bytesPerSec / 21e9).toBeCloseTo(1, 9);
    // the small copies run from the cache, faster than b / B: what they add over it is negative, clipped at 0 (§4)
    expect(fit.latencySec).toBe(0);
    // the cache-resident 8 and 16 MiB copies (which, fitted at 1/16, pulled the bandwidth to 35-41 GB/s) do not move it
    const faster = copies.map((c) => (c.bytes < llc && c.bytes > 1 << 20 ? { ...c, seconds: c.seconds / 3, bytesPerSec: c.bytesPerSec * 3 } : c));
    expect(fitCopyLaw(faster, 'copy/deviceToDevice')!.bytesPerSec).toBe(fit.bytesPerSec);
  });
});

describe('sweep sizes', () => {
  it('copy sizes give the bandwidth fit and the latency fit at least three points each, for any cache size', () => {
    for (const top of [1 << 20, 32 << 20, 128 << 20, 260 << 20, 1 << 30]) {
      const sizes = copySizes(top);
      const max = Math.max(...sizes);
      expect(sizes.filter((b) => b >= max * COPY_FIT_FRACTION).length).toBeGreaterThanOrEqual(3);
      expect(sizes.filter((b) => b <= 1 << 20).length).toBeGreaterThanOrEqual(3);
    }
  });
  it('the largest table is 16x the last-level cache, at most 1 GiB (512 MiB quick); row sizes span 64 B to 2 KiB', () => {
    expect(Math.max(...sweepPlan({ quick: true, llcBytes: 32 << 20, maxBufferBytes: 2 ** 31 }).tableBytes)).toBe(512 << 20);
    expect(Math.max(...sweepPlan({ quick: true, llcBytes: 260 << 20, maxBufferBytes: 2 ** 31 }).tableBytes)).toBe(512 << 20);
    expect(Math.max(...sweepPlan({ quick: false, llcBytes: 260 << 20, maxBufferBytes: 2 ** 31 }).tableBytes)).toBe(1 << 30);
    expect(Math.max(...sweepPlan({ quick: false, llcBytes: 16 << 20, maxBufferBytes: 2 ** 31 }).tableBytes)).toBe(256 << 20);
    // copies: 4x the cache, at least 32 MiB, the same ceilings
    expect(Math.max(...sweepPlan({ quick: true, llcBytes: 480 << 20, maxBufferBytes: 2 ** 31 }).copyBytes)).toBe(512 << 20);
    expect(Math.max(...sweepPlan({ quick: false, llcBytes: 480 << 20, maxBufferBytes: 2 ** 31 }).copyBytes)).toBe(1 << 30);
    const p = sweepPlan({ quick: true, llcBytes: 32 << 20, maxBufferBytes: 2 ** 31 });
    expect(Math.max(...p.rowBytes) / Math.min(...p.rowBytes)).toBe(32);
  });
  it('quick evicts with at most 256 MiB before a cold dedup call, the full sweep with 2x the cache', () => {
    expect(sweepPlan({ quick: true, llcBytes: 480 << 20, maxBufferBytes: 2 ** 31 }).dedupEvictBytes).toBe(QUICK_EVICT_BYTES);
    expect(sweepPlan({ quick: true, llcBytes: 32 << 20, maxBufferBytes: 2 ** 31 }).dedupEvictBytes).toBe(64 << 20);
    expect(sweepPlan({ quick: false, llcBytes: 480 << 20, maxBufferBytes: 2 ** 31 }).dedupEvictBytes).toBe(960 << 20);
    // the intercept is read off the 2048-id batches (none smaller: calibration-fit.md §8), the slope off at least
    // two larger sizes, the largest 64x the smallest
    for (const quick of [true, false]) {
      const d = sweepPlan({ quick, llcBytes: 32 << 20, maxBufferBytes: 2 ** 31 }).dedupLookups;
      expect(Math.min(...d)).toBe(DEDUP_LATENCY_MAX_LOOKUPS);
      expect(d.filter((k) => k > DEDUP_LATENCY_MAX_LOOKUPS).length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...d) / Math.min(...d)).toBeGreaterThanOrEqual(64);
    }
  });
  it('quick measures the cache-resident table with uniform ids only, the large one with every skew', async () => {
    const plan = tinyPlan(1);
    const ms = await runSweep(driftingBackend({ perRow: 200e-9, bytesPerSec: 4e9, latency: 1e-6 }, () => 1), plan);
    const skewsAt = (bytes: number) => new Set(ms.filter((m) => m.family === 'gather' && m.tableBytes <= bytes && m.tableBytes > bytes / 2).map((m) => m.family === 'gather' && m.skew));
    expect([...skewsAt(1 << 14)]).toEqual(['uniform']);
    expect([...skewsAt(1 << 20)].sort()).toEqual(['uniform', 'zipf1.05']);
    expect(skewsFor({ tableBytes: [1 << 14], skews: plan.skews, residentSkews: plan.residentSkews }, 1 << 14)).toEqual(plan.skews);
  });
  it('every round visits one table\'s gathers and updates contiguously (its cache state), in a shuffled order; round 0 copies largest first', async () => {
    const plan = tinyPlan(4);
    const b = driftingBackend({ perRow: 200e-9, bytesPerSec: 4e9, latency: 1e-6 }, () => 1);
    const visits: string[] = [];
    const copies: number[] = [];
    const [gather, update, dedup, copy] = [b.gather.bind(b), b.update!.bind(b), b.dedup.bind(b), b.copy.bind(b)];
    b.gather = async (table, ...rest) => (visits.push(`table ${table.rows * table.dim * 4}`), gather(table, ...rest));
    b.update = async (table, ...rest) => (visits.push(`table ${table.rows * table.dim * 4}`), update(table, ...rest));
    b.dedup = async (...args) => (visits.push('dedup'), dedup(...args));
    b.copy = async (bytes, ...rest) => (visits.push('copy'), copies.push(bytes), copy(bytes, ...rest));
    await runSweep(b, plan, { copyDirections: ['deviceToDevice'] });
    const perRound = visits.length / plan.rounds;
    expect(Number.isInteger(perRound)).toBe(true);
    const orders = new Set<string>();
    for (let r = 1; r < plan.rounds; r++) {
      const round = visits.slice(r * perRound, (r + 1) * perRound);
      // runs of one group: each group appears as exactly one run
      const runs = round.filter((g, i) => i === 0 || round[i - 1] !== g);
      expect(new Set(runs).size, `round ${r}: ${runs.join(', ')}`).toBe(runs.length);
      orders.add(round.join());
    }
    expect(orders.size).toBeGreaterThan(1);
    const first = copies.slice(0, plan.copyBytes.length);
    expect(first).toEqual([...plan.copyBytes].sort((x, y) => y - x));
  });
  it('cold dedup calls: nine per round for the small batches that carry the intercept, one for the others', async () => {
    const plan = { ...tinyPlan(2), dedupEvictBytes: 1 << 16 };
    const b = driftingBackend({ perRow: 200e-9, bytesPerSec: 4e9, latency: 1e-6 }, () => 1);
    const seen = new Map<number, number[]>();
    const dedup = b.dedup.bind(b);
    b.dedup = async (stream, lookups, rows, timing) => {
      seen.set(lookups, [...(seen.get(lookups) ?? []), timing.repeats]);
      expect(timing.evictBytes).toBe(1 << 16);
      return dedup(stream, lookups, rows, timing);
    };
    await runSweep(b, plan);
    const max = plan.dedupSmallBatches!.maxLookups;
    for (const [lookups, repeats] of seen) for (const r of repeats) expect(r, `${lookups} lookups`).toBe(lookups <= max ? 9 : 1);
    expect([...seen.keys()].some((k) => k > max)).toBe(true);
  });
  it('goldenScatter is a bijection of [0, n) (exhaustive for small n)', () => {
    for (let n = 1; n <= 300; n++) {
      const f = goldenScatter(n);
      const seen = new Set<number>();
      for (let r = 0; r < n; r++) seen.add(f(r));
      expect(seen.size).toBe(n);
      expect(Math.max(...seen)).toBe(n - 1);
    }
    const f = goldenScatter(2 ** 31 - 1);
    expect(f(2 ** 31 - 2)).toBeLessThan(2 ** 31 - 1);
    expect(Number.isInteger(f(123456789))).toBe(true);
  });
});
