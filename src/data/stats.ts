import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream';
import { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { KeyCounter, type MemoryBudget } from './counter.js';
import { CRITEO_CAT_COLUMNS, CriteoParser, IdsParser, type MalformedReason } from './parse.js';
import { countHistogramOf, featureProfile, mergeableCounts, type FeatureProfile } from './profile.js';
import { rankOrder, type IdMapIndex, type IdOrder } from './idmap.js';

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
  /** keep every key's count (and a summary's registers) in the profile, for `stats --merge` */
  keepCounts?: boolean;
  /** how many malformed lines to list (default 20) */
  malformedExamples?: number;
  /** read size in bytes (default 1 MiB) */
  chunkBytes?: number;
  /**
   * longest line held in memory (default 64 MiB); a longer one is one malformed line, skipped without
   * holding it (no Criteo or id line is anywhere near this long)
   */
  maxLineBytes?: number;
  /** instrumentation: bytes examined (scanned, copied, parsed) are added to `bytes`; linear reading keeps it O(input) */
  work?: { bytes: number };
  onProgress?: (p: StatsProgress) => void;
  /** filled with every feature's ids in rank order (the id map; src/data/idmap.ts) */
  idOrders?: Record<string, IdOrder>;
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
  /** the id-to-rank map written beside the profile (scarec stats --out) */
  idMap?: IdMapIndex;
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

interface LineParser {
  feed(buf: Uint8Array, final: boolean): number;
  skipLine(detail: string): void;
}

const NL = 10;

/**
 * Hands complete lines to a parser, chunk by chunk, in linear time: a chunk's complete lines go to the
 * parser directly, its unfinished tail waits in `pending` (pieces, not a growing copy). A UTF-8
 * byte-order mark at the start of the file is dropped. A line longer than `maxLineBytes` is dropped as
 * it streams and reported as one malformed line, so memory stays bounded.
 */
export class LineReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  private atStart = true;

  constructor(
    private readonly parser: LineParser,
    private readonly maxLineBytes: number,
    private readonly work: { bytes: number } = { bytes: 0 },
  ) {}

  push(input: Buffer): void {
    let chunk = input;
    if (this.atStart) {
      // the BOM may straddle chunks only in a file of under 3 bytes so far: wait for more
      if (this.pendingBytes + chunk.length < 3 && chunk.indexOf(NL) < 0) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
        return;
      }
      if (this.pending.length > 0) {
        chunk = Buffer.concat([...this.pending, chunk]);
        this.pending = [];
        this.pendingBytes = 0;
      }
      this.atStart = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    let start = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(NL);
      this.work.bytes += nl < 0 ? chunk.length : nl + 1;
      if (nl < 0) return;
      this.skipping = false;
      this.parser.skipLine(`line longer than ${this.maxLineBytes} bytes`);
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(NL);
    this.work.bytes += chunk.length - Math.max(last, start);
    if (last < start) {
      this.hold(chunk.subarray(start));
      return;
    }
    let head = chunk.subarray(start, last + 1);
    if (this.pending.length > 0) {
      head = Buffer.concat([...this.pending, head]);
      this.work.bytes += head.length;
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.work.bytes += head.length;
    this.parser.feed(head, false);
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1));
  }

  private hold(piece: Buffer): void {
    if (piece.length === 0) return;
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    if (this.pendingBytes > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = true;
    }
  }

  /** The end of the file: an unterminated last line is parsed (or reported, if it was too long). */
  end(): void {
    if (this.skipping) {
      this.skipping = false;
      this.parser.skipLine(`line longer than ${this.maxLineBytes} bytes`);
    } else if (this.pending.length > 0) {
      const buf = Buffer.concat(this.pending);
      this.work.bytes += 2 * buf.length;
      this.parser.feed(buf, true);
    }
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** The first bytes of a stream decide gzip or plain; the stream returned replays them, then the rest. */
async function sniffGzip(raw: Readable): Promise<{ gzip: boolean; stream: Readable }> {
  const it = (raw as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let bytes = 0;
  let done = false;
  while (bytes < 2) {
    const n = await it.next();
    if (n.done) {
      done = true;
      break;
    }
    head.push(n.value);
    bytes += n.value.length;
  }
  const first = Buffer.concat(head);
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    if (done) return;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  }
  return { gzip, stream: Readable.from(replay(), { objectMode: false }) };
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
      if (st.isDirectory()) throw new InputError('is a folder, not a file', f);
      // a pipe or a terminal (`zcat x.gz | scarec stats /dev/stdin`) streams too; its size is unknown (0)
      if (st.isFIFO() || st.isCharacterDevice()) return 0;
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
    const regular = statSync(file).isFile();
    let gzip = false;
    if (regular)
      try {
        gzip = isGzip(file);
      } catch (e) {
        throw new InputError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
      }
    const raw = createReadStream(file, { highWaterMark: options.chunkBytes ?? 1 << 20 });
    let stream: Readable = raw;
    if (!regular) {
      // a pipe cannot be read twice: sniff the gzip magic from its first bytes
      const sniffed = await sniffGzip(raw);
      gzip = sniffed.gzip;
      stream = sniffed.stream;
    }
    if (gzip) {
      const gunzip = createGunzip({ chunkSize: Math.max(64, options.chunkBytes ?? 1 << 20) });
      stream = pipeline(stream, gunzip, () => {});
    }
    // The unfinished last line is kept as a list of pieces, joined once when its newline arrives: every
    // byte is scanned, copied and parsed a bounded number of times however long the line (joining the
    // tail to each new chunk, as before, was quadratic in line length: a 200 MB line took 307 s).
    const reader = new LineReader(parser, options.maxLineBytes ?? 64 * 2 ** 20, options.work);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        uncompressed += chunk.length;
        reader.push(chunk);
        options.onProgress?.({ file, fileIndex: f, files: files.length, bytesRead: bytesBefore + raw.bytesRead, totalBytes, lines: linesBefore + parser.line });
      }
    } catch (e) {
      raw.destroy();
      if (e instanceof InputError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (gzip && typeof code === 'string' && code.startsWith('Z_')) throw new InputError(`not a valid gzip file (${(e as Error).message})`, file);
      if (gzip && /unexpected end of file/i.test((e as Error).message)) throw new InputError('truncated gzip file (unexpected end of file)', file);
      throw new InputError(`read failed (${(e as Error).message})`, file);
    }
    reader.end();
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
    if (options.idOrders) options.idOrders[name] = rankOrder(counters[j]!, countHistogramOf(counters[j]!), missingMode === 'row' ? missing : 0);
    if (options.keepCounts) features[name]!.mergeable = mergeableCounts(counters[j]!, missingMode === 'row' ? missing : 0);
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
