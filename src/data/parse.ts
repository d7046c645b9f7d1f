import type { KeyCounter } from './counter.js';

/**
 * Line parsers over raw bytes (no per-field strings): each `feed` consumes the complete lines of a buffer
 * and returns where the unfinished last line starts, so the caller carries only that tail to the next chunk.
 * A malformed line counts nothing; it is reported through `onMalformed` (which may throw, for --strict).
 */

export type MalformedReason = 'columns' | 'integer' | 'hex' | 'id';

export type MalformedHandler = (line: number, reason: MalformedReason, detail: string) => void;

export const CRITEO_COLUMNS = 40;
export const CRITEO_INT_COLUMNS = 13;
export const CRITEO_CAT_COLUMNS = 26;
const FIRST_CAT = 1 + CRITEO_INT_COLUMNS;

const NL = 10;
const CR = 13;
const TAB = 9;

/** hex digit value of a byte, or -1 */
const HEX = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 0; c < 10; c++) t[48 + c] = c;
  for (let c = 0; c < 6; c++) {
    t[97 + c] = 10 + c;
    t[65 + c] = 10 + c;
  }
  return t;
})();

export function criteoColumnName(col: number): string {
  if (col === 0) return 'label';
  if (col < FIRST_CAT) return `I${col}`;
  return `C${col - CRITEO_INT_COLUMNS}`;
}

/** Index of the byte after the last newline in buf[0, end), or 0 when there is none. */
function lastLineEnd(buf: Uint8Array, end: number): number {
  for (let i = end - 1; i >= 0; i--) if (buf[i] === NL) return i + 1;
  return 0;
}

function quote(buf: Uint8Array, from: number, to: number): string {
  const cut = Math.min(to, from + 40);
  const text = Buffer.from(buf.buffer, buf.byteOffset + from, cut - from).toString('latin1');
  return JSON.stringify(cut < to ? `${text}...` : text);
}

/**
 * Criteo's raw format: label, I1..I13 (integers), C1..C26 (1 to 8 hex digits), TAB-separated, any field empty.
 * `counters[j]` counts C(j+1); `missing[j]` counts its empty values; `malformedValues[j]` its bad values.
 */
export class CriteoParser {
  /** lines seen in the current file (the number of the last line fed) */
  line = 0;
  private readonly keys = new Uint32Array(CRITEO_CAT_COLUMNS);
  private readonly present = new Uint8Array(CRITEO_CAT_COLUMNS);
  readonly missing = new Float64Array(CRITEO_CAT_COLUMNS);
  readonly malformedValues = new Float64Array(CRITEO_CAT_COLUMNS);

  constructor(
    private readonly counters: KeyCounter[],
    private readonly onMalformed: MalformedHandler,
  ) {
    if (counters.length !== CRITEO_CAT_COLUMNS) throw new RangeError(`criteo needs ${CRITEO_CAT_COLUMNS} counters`);
  }

  /** Start a new file (line numbers restart at 1). */
  startFile(): void {
    this.line = 0;
  }

  /** A line too long to hold (the reader dropped its bytes): one malformed line, counting nothing. */
  skipLine(detail: string): void {
    this.line++;
    this.onMalformed(this.line, 'columns', detail);
  }

  /** Parse the complete lines of buf (and the unterminated last one when final); return bytes consumed. */
  feed(buf: Uint8Array, final: boolean): number {
    const end = final ? buf.length : lastLineEnd(buf, buf.length);
    if (end === 0) return 0;
    const keys = this.keys;
    const present = this.present;
    let col = 0;
    let len = 0; // bytes in the current field
    let val = 0; // hex value of the current categorical field
    let fieldBad = false;
    let lineBad: MalformedReason | null = null;
    let badCol = 0;
    let badFrom = 0;
    let badTo = 0;
    let fieldStart = 0;
    // a virtual newline at `end` closes an unterminated final line
    const stop = final && buf[end - 1] !== NL ? end + 1 : end;
    for (let i = 0; i < stop; i++) {
      const b = i < end ? buf[i]! : NL;
      if (b !== TAB && b !== NL) {
        if (b === CR && (i + 1 >= end || buf[i + 1] === NL)) continue; // CRLF line ends
        if (col >= FIRST_CAT) {
          const d = HEX[b]!;
          if (d < 0 || len >= 8) fieldBad = true;
          val = ((val << 4) | d) >>> 0;
        } else if (b < 48 || b > 57) {
          if (!(b === 45 && len === 0)) fieldBad = true; // a leading minus sign only
        }
        len++;
        continue;
      }
      // end of field `col`
      if (col >= FIRST_CAT) {
        if (col < CRITEO_COLUMNS) {
          const j = col - FIRST_CAT;
          if (fieldBad) {
            this.malformedValues[j]! += 1;
            if (lineBad === null) {
              lineBad = 'hex';
              badCol = col;
              badFrom = fieldStart;
              badTo = i;
            }
          }
          present[j] = len === 0 ? 0 : 1;
          keys[j] = val;
        }
      } else if (fieldBad || (len === 1 && buf[i - 1] === 45)) {
        if (lineBad === null) {
          lineBad = 'integer';
          badCol = col;
          badFrom = fieldStart;
          badTo = i;
        }
      }
      col++;
      len = 0;
      val = 0;
      fieldBad = false;
      fieldStart = i + 1;
      if (b === TAB) continue;
      // end of line
      this.line++;
      if (col !== CRITEO_COLUMNS) {
        this.onMalformed(this.line, 'columns', `${col} columns, expected ${CRITEO_COLUMNS}`);
      } else if (lineBad !== null) {
        const what = lineBad === 'hex' ? 'is not 1 to 8 hex digits' : 'is not an integer';
        this.onMalformed(this.line, lineBad, `column ${badCol + 1} (${criteoColumnName(badCol)}): ${quote(buf, badFrom, badTo)} ${what}`);
      } else {
        const counters = this.counters;
        for (let j = 0; j < CRITEO_CAT_COLUMNS; j++) {
          if (present[j] === 1) counters[j]!.add32(keys[j]!);
          else this.missing[j]! += 1;
        }
      }
      col = 0;
      lineBad = null;
    }
    return end;
  }
}

const MAX_ID = Number.MAX_SAFE_INTEGER;

/** One non-negative integer id per line (up to 2^53 - 1); blank lines are missing values. */
export class IdsParser {
  line = 0;
  missing = 0;
  malformedValues = 0;

  constructor(
    private readonly counter: KeyCounter,
    private readonly onMalformed: MalformedHandler,
  ) {}

  startFile(): void {
    this.line = 0;
  }

  skipLine(detail: string): void {
    this.line++;
    this.malformedValues++;
    this.onMalformed(this.line, 'id', detail);
  }

  feed(buf: Uint8Array, final: boolean): number {
    const end = final ? buf.length : lastLineEnd(buf, buf.length);
    let i = 0;
    while (i < end) {
      let j = i;
      while (j < end && buf[j] !== NL) j++;
      this.line++;
      let a = i;
      let z = j;
      while (a < z && (buf[a] === 32 || buf[a] === TAB || buf[a] === CR)) a++;
      while (z > a && (buf[z - 1] === 32 || buf[z - 1] === TAB || buf[z - 1] === CR)) z--;
      if (a === z) this.missing++;
      else {
        let v = 0;
        let ok = true;
        for (let k = a; k < z; k++) {
          const d = buf[k]! - 48;
          if (d < 0 || d > 9) {
            ok = false;
            break;
          }
          v = v * 10 + d;
          if (v > MAX_ID) {
            ok = false;
            break;
          }
        }
        if (ok) {
          const lo = v % 4294967296;
          this.counter.add64(lo, (v - lo) / 4294967296);
        } else {
          this.malformedValues++;
          this.onMalformed(this.line, 'id', `${quote(buf, a, z)} is not an integer id in 0..2^53-1`);
        }
      }
      i = j + 1;
    }
    return end;
  }
}
