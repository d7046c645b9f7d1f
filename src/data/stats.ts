import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { KeyCounter, type MemoryBudget } from './counter.js';
import { CRITEO_CAT_COLUMNS, CriteoParser, IdsParser, type MalformedReason } from './parse.js';
import { featureProfile, type FeatureProfile } from './profile.js';

/**
 * `scarec stats`: one streaming pass over plain or gzip files, exact per-feature counts in typed-array hash
 * tables (bounded-memory summaries when a budget is given and exact counts do not fit), and the frequency
 * profile of src/model/schema.ts.
 */

export type StatsFormat = 'criteo' | 'ids';
export type MissingMode = 'skip' | 'row';

export interface StatsProgress {
  file: string;
  fileIndex: number;
  files: number;
  /** bytes read from disk so far (compressed bytes for .gz), over all files */
  bytesRead: number;
  totalBytes: number;
  lines: number;
}

export interface StatsOptions {
  format?: StatsFormat;
  /** skip (default): a missing value is no access; row: it is one more row (DLRM's preprocessing) */
  missing?: MissingMode;
  /** memory budget for the counting tables in bytes; without it counts are exact however large */
  memoryBytes?: number;
  /** stop at the first malformed line with an InputError naming file:line */
  strict?: boolean;
  /** how many hottest ids to keep per feature (default 1000) */
  topIds?: number;
  /** how many malformed lines to list (default 20) */
  malformedExamples?: number;
  /** read size in bytes (default 1 MiB) */
  chunkBytes?: number;
  onProgress?: (p: StatsProgress) => void;
}

export interface MalformedLine {
  file: string;
  line: number;
  reason: MalformedReason;
  detail: string;
}

export interface StatsProfile {
  kind: 'scarec-frequency-profile';
  version: 1;
  format: StatsFormat;
  missing: MissingMode;
  source: {
    files: Array<{ path: string; bytes: number; lines: number; gzip: boolean }>;
    lines: number;
    /** bytes on disk */
    bytes: number;
    /** bytes parsed (after decompression) */
    uncompressedBytes: number;
  };
  malformed: { lines: number; byReason: Record<MalformedReason, number>; first: MalformedLine[] };
  memory: { budgetBytes: number | null; tableBytes: number; approximateFeatures: string[] };
  features: Record<string, FeatureProfile>;
}

function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

export async function computeStats(files: readonly string[], options: StatsOptions = {}): Promise<StatsProfile> {
  const format = options.format ?? 'criteo';
  const missingMode = options.missing ?? 'skip';
  const topIds = options.topIds ?? 1000;
  const examples = options.malformedExamples ?? 20;
  if (files.length === 0) throw new InputError('no input files');
  const sizes = files.map((f) => {
    try {
      const st = statSync(f);
      if (!st.isFile()) throw new InputError('not a regular file', f);
      return st.size;
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, f);
    }
  });
  const totalBytes = sizes.reduce((s, x) => s + x, 0);

  const budget: MemoryBudget | undefined = options.memoryBytes !== undefined ? { remainingBytes: options.memoryBytes } : undefined;
  const names = format === 'criteo' ? Array.from({ length: CRITEO_CAT_COLUMNS }, (_, j) => `C${j + 1}`) : ['id'];
  const counters = names.map(() => new KeyCounter({ wide: format === 'ids', budget, initialBits: 12 }));

  const byReason: Record<MalformedReason, number> = { columns: 0, integer: 0, hex: 0, id: 0 };
  const first: MalformedLine[] = [];
  let malformedLines = 0;
  let currentFile = files[0]!;
  const onMalformed = (line: number, reason: MalformedReason, detail: string) => {
    if (options.strict) throw new InputError(`malformed line: ${detail}`, `${currentFile}:${line}`);
    malformedLines++;
    byReason[reason]++;
    if (first.length < examples) first.push({ file: currentFile, line, reason, detail });
  };
  const parser = format === 'criteo' ? new CriteoParser(counters, onMalformed) : new IdsParser(counters[0]!, onMalformed);

  const fileInfo: StatsProfile['source']['files'] = [];
  let linesBefore = 0;
  let bytesBefore = 0;
  let uncompressed = 0;
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    currentFile = file;
    parser.startFile();
    const gzip = isGzip(file);
    const raw = createReadStream(file, { highWaterMark: options.chunkBytes ?? 1 << 20 });
    let stream: Readable = raw;
    if (gzip) {
      const gunzip = createGunzip({ chunkSize: options.chunkBytes ?? 1 << 20 });
      stream = pipeline(raw, gunzip, () => {});
    }
    let carry: Buffer | null = null;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        uncompressed += chunk.length;
        const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
        const used = parser.feed(buf, false);
        carry = used < buf.length ? buf.subarray(used) : null;
        options.onProgress?.({ file, fileIndex: f, files: files.length, bytesRead: bytesBefore + raw.bytesRead, totalBytes, lines: linesBefore + parser.line });
      }
    } catch (e) {
      raw.destroy();
      if (e instanceof InputError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (gzip && typeof code === 'string' && code.startsWith('Z_')) throw new InputError(`not a valid gzip file (${(e as Error).message})`, file);
      throw new InputError(`read failed (${(e as Error).message})`, file);
    }
    if (carry !== null) parser.feed(carry, true);
    fileInfo.push({ path: file, bytes: sizes[f]!, lines: parser.line, gzip });
    linesBefore += parser.line;
    bytesBefore += sizes[f]!;
    options.onProgress?.({ file, fileIndex: f, files: files.length, bytesRead: bytesBefore, totalBytes, lines: linesBefore });
  }

  const features: Record<string, FeatureProfile> = {};
  names.forEach((name, j) => {
    const missing = parser instanceof CriteoParser ? parser.missing[j]! : parser.missing;
    const malformed = parser instanceof CriteoParser ? parser.malformedValues[j]! : parser.malformedValues;
    features[name] = featureProfile(counters[j]!, {
      topIds,
      idFormat: format === 'criteo' ? 'hex8' : 'decimal',
      missingRowCount: missingMode === 'row' ? missing : 0,
      missing,
      malformed,
    });
  });
  return {
    kind: 'scarec-frequency-profile',
    version: 1,
    format,
    missing: missingMode,
    source: { files: fileInfo, lines: linesBefore, bytes: totalBytes, uncompressedBytes: uncompressed },
    malformed: { lines: malformedLines, byReason, first },
    memory: {
      budgetBytes: options.memoryBytes ?? null,
      tableBytes: counters.reduce((s, c) => s + c.memoryBytes, 0),
      approximateFeatures: names.filter((_, j) => counters[j]!.approximate),
    },
    features,
  };
}
