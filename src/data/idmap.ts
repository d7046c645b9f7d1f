/**
 * The id-to-rank map of a frequency profile: per feature, every counted id in rank order (count decreasing,
 * ties by increasing id: the order of `topIds` and of the count histogram, so rank r of a scenario's `counts`
 * distribution is id ids[r]). Plans are over ranks; this map turns them into row ids (`planToIdMap`).
 *
 * On disk (README "Formats", "Id map"): a directory beside the profile, one little-endian typed file per
 * feature: `uint32` for Criteo (the id is the value of its hex token; the token is that value as 8 lower-case
 * hex digits, as Criteo writes it) or `int64` for `--format ids` (the decimal token's value). The profile's
 * `idMap` field names the directory, the files and where the missing row (with `--missing row`) sits.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { CheckedPlan } from '../model/plan.js';
import type { Scenario } from '../model/scenario.js';
import type { CounterView, IdFormat } from './profile.js';

/** Every counted id of a feature in rank order. */
export interface IdOrder {
  /** ids (keys) in rank order; exact integers (Criteo keys < 2^32, id-stream keys < 2^53) */
  keys: Float64Array;
  /** rank of the missing row (its token is ""), or null when the profile has none */
  missingRank: number | null;
  /** false for a bounded-memory summary: only the ids it kept, the rest are unknown */
  complete: boolean;
}

export interface IdMapEntry {
  file: string;
  /** ranks in the file (the missing row, when there is one, is not in the file: see missingRank) */
  ids: number;
  missingRank: number | null;
  complete: boolean;
}

/** The `idMap` field of a profile. */
export interface IdMapIndex {
  /** directory of the typed files, relative to the profile file */
  dir: string;
  dtype: 'uint32le' | 'int64le';
  idFormat: IdFormat;
  features: Record<string, IdMapEntry>;
}

const keyNumber = (lo: number, hi: number) => hi * 4294967296 + lo;

/**
 * Keys of a counter in rank order (count decreasing, ties by increasing key) in O(n log n) typed-array work:
 * a counting pass places each key in its count's run (runs from the histogram), then each run is sorted.
 * With `missingCount` > 0 the missing row takes the first rank of its count (ties: "" sorts first).
 */
export function rankOrder(counter: Pick<CounterView, 'slots' | 'approximate'>, histogram: ReadonlyArray<readonly [number, number]>, missingCount = 0): IdOrder {
  const { keysLo, keysHi, counts } = counter.slots();
  const start = new Map<number, number>();
  let n = 0;
  for (const [c, rows] of histogram) {
    start.set(c, n);
    n += rows;
  }
  const keys = new Float64Array(n);
  const next = new Map(start);
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    const at = next.get(c);
    if (at === undefined) throw new Error(`internal: count ${c} is not in the histogram`);
    keys[at] = keyNumber(keysLo[i]!, keysHi ? keysHi[i]! : 0);
    next.set(c, at + 1);
  }
  for (const [c, rows] of histogram) {
    const s = start.get(c)!;
    keys.subarray(s, s + rows).sort();
  }
  let missingRank: number | null = null;
  if (missingCount > 0) {
    // the first rank whose count is <= the missing row's
    missingRank = 0;
    for (const [c, rows] of histogram) {
      if (c <= missingCount) break;
      missingRank += rows;
    }
  }
  return { keys, missingRank, complete: !counter.approximate };
}

/** The token of a key as the input wrote it (Criteo: 8 lower-case hex digits; ids: decimal). */
export function idToken(key: number, format: IdFormat): string {
  return format === 'hex8' ? key.toString(16).padStart(8, '0') : String(key);
}

/** How a file is written: writeFileSync by default; the CLI passes its atomic writer (temporary name, then rename). */
export type WriteFile = (path: string, data: Uint8Array) => void;

/**
 * Write the typed files of a profile's id map beside it; returns the profile's `idMap` field. Each file goes
 * through `write`: the CLI's writes it under a temporary name and renames it into place, so a run killed
 * mid-write leaves the previous file whole.
 */
export function writeIdMap(profileFile: string, orders: Record<string, IdOrder>, idFormat: IdFormat, write: WriteFile = writeFileSync): IdMapIndex {
  const dirAbs = `${profileFile.replace(/\.json$/, '')}.ids`;
  mkdirSync(dirAbs, { recursive: true });
  const dtype = idFormat === 'hex8' ? 'uint32le' : 'int64le';
  const features: Record<string, IdMapEntry> = {};
  for (const [name, o] of Object.entries(orders)) {
    const file = `${name}.${dtype === 'uint32le' ? 'u32' : 'i64'}`;
    const buf = dtype === 'uint32le' ? Buffer.from(Uint32Array.from(o.keys).buffer) : Buffer.from(BigInt64Array.from(o.keys, (k) => BigInt(k)).buffer);
    // typed arrays are in platform order; every platform Node supports here is little-endian
    write(join(dirAbs, file), buf);
    features[name] = { file, ids: o.keys.length, missingRank: o.missingRank, complete: o.complete };
  }
  return { dir: relative(dirname(resolve(profileFile)), dirAbs) || '.', dtype, idFormat, features };
}

/** Rank order of one feature from a profile file with an `idMap` (ranks include the missing row, if any). */
export interface LoadedIdOrder {
  /** ids by rank, missing row excluded (typed as the file) */
  ids: Uint32Array | BigInt64Array;
  missingRank: number | null;
  complete: boolean;
  idFormat: IdFormat;
  dtype: IdMapIndex['dtype'];
}

export function loadIdOrder(profileFile: string, feature: string): LoadedIdOrder {
  let profile: { idMap?: IdMapIndex };
  try {
    profile = JSON.parse(readFileSync(profileFile, 'utf8'));
  } catch (e) {
    throw new InputError(`cannot read the frequency profile (${(e as Error).message})`, profileFile);
  }
  const idMap = profile.idMap;
  if (!idMap) throw new InputError('the profile has no id map (write it with scarec stats --out, which writes one beside the profile)', `${profileFile}: idMap`);
  const entry = idMap.features[feature];
  if (!entry) throw new InputError(`feature "${feature}" is not in the id map (it has ${Object.keys(idMap.features).join(', ')})`, `${profileFile}: idMap.features`);
  const path = resolve(dirname(profileFile), idMap.dir, entry.file);
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new InputError(`id map file missing (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path);
  }
  const width = idMap.dtype === 'uint32le' ? 4 : 8;
  if (raw.length !== entry.ids * width) throw new InputError(`has ${raw.length} bytes, expected ${entry.ids} ids x ${width} bytes`, path);
  const copy = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length);
  const ids = idMap.dtype === 'uint32le' ? new Uint32Array(copy) : new BigInt64Array(copy);
  return { ids, missingRank: entry.missingRank, complete: entry.complete, idFormat: idMap.idFormat, dtype: idMap.dtype };
}

/** One class of a table in a plan: the row ids it holds, hottest first. */
export interface IdClass {
  at: 'replicated' | 'gpu' | 'host';
  gpu?: number;
  /** ids of the ranks the plan puts here (missing row excluded), hottest first; local slot = index */
  ids: Uint32Array | BigInt64Array;
  /** true when the missing row (token "") is in this class */
  missingRow: boolean;
  /** ranks in this class past the id map (rows the profile never saw, or a summary did not keep) */
  unseenRows: number;
}

export interface TableIds {
  table: string;
  classes: IdClass[];
  /** where an id the map does not know goes: the class of the first rank past the map, when one class holds them all */
  unseen: { at: IdClass['at']; gpu?: number } | 'mixed' | null;
}

const classKey = (at: string, gpu?: number) => (at === 'gpu' ? `gpu${gpu}` : at);

/**
 * A plan over ranks -> per table and class the row ids (the PyTorch executor's and a TorchRec export's
 * input): rank r of a table is the r-th id of its feature's rank order (the missing row, when the profile
 * has one, at its own rank).
 */
export function planToIdMap(scenario: Scenario, plan: CheckedPlan, orders: Record<string, LoadedIdOrder>): TableIds[] {
  return scenario.tables.map((table) => {
    const order = orders[table.name];
    if (!order) throw new InputError(`no id map for table "${table.name}"`, 'id maps');
    const mr = order.missingRank;
    const known = order.ids.length + (mr === null ? 0 : 1);
    // ranks [from, to) -> ids indices [shift(from), shift(to)): ranks past the missing row shift down by one
    const shift = (rank: number) => (mr !== null && rank > mr ? rank - 1 : rank);
    const byClass = new Map<string, { at: IdClass['at']; gpu?: number; parts: Array<[number, number]>; missingRow: boolean; unseenRows: number }>();
    const unseenClasses = new Set<string>();
    let unseenFirst: { at: IdClass['at']; gpu?: number } | null = null;
    for (const r of plan.tables[table.name]!) {
      const k = classKey(r.at, r.gpu);
      let c = byClass.get(k);
      if (!c) byClass.set(k, (c = { at: r.at, ...(r.at === 'gpu' ? { gpu: r.gpu } : {}), parts: [], missingRow: false, unseenRows: 0 }));
      const to = Math.min(r.to, known);
      if (r.from < to) {
        if (mr !== null && mr >= r.from && mr < to) c.missingRow = true;
        const lo = shift(r.from);
        const hi = shift(to);
        if (hi > lo) c.parts.push([lo, hi]);
      }
      if (r.to > known) {
        c.unseenRows += r.to - Math.max(r.from, known);
        unseenClasses.add(k);
        if (!unseenFirst) unseenFirst = { at: r.at, ...(r.at === 'gpu' ? { gpu: r.gpu } : {}) };
      }
    }
    const classes: IdClass[] = [...byClass.values()].map((c) => {
      const len = c.parts.reduce((s, [a, b]) => s + b - a, 0);
      const ids = order.ids instanceof Uint32Array ? new Uint32Array(len) : new BigInt64Array(len);
      let at = 0;
      for (const [a, b] of c.parts) {
        (ids as Uint32Array).set(order.ids.subarray(a, b) as Uint32Array, at);
        at += b - a;
      }
      return { at: c.at, ...(c.gpu !== undefined ? { gpu: c.gpu } : {}), ids, missingRow: c.missingRow, unseenRows: c.unseenRows };
    });
    return { table: table.name, classes, unseen: unseenClasses.size === 0 ? null : unseenClasses.size === 1 ? unseenFirst : 'mixed' };
  });
}
