import { InputError } from '../errors.js';

/**
 * JSON input with the checks JSON.parse leaves out: a UTF-8 byte-order mark is dropped (editors on some
 * systems write one), and a key that appears twice in one object is an error naming its path. JSON.parse
 * keeps the last value silently, and a reviver sees only that one, so duplicates are found by one linear
 * scan of the text (after JSON.parse has accepted it, so the scan needs no error handling of its own).
 */

/** The path of the first key that repeats within its object ("tables[2].name"), or null. */
export function findDuplicateKey(text: string): string | null {
  type Frame = { kind: 'object'; keys: Set<string>; key: string | null; expectKey: boolean } | { kind: 'array'; index: number };
  const stack: Frame[] = [];
  const path = (last: string): string => {
    let out = '';
    for (const f of stack.slice(0, -1)) out += f.kind === 'array' ? `[${f.index}]` : out === '' ? f.key! : `.${f.key!}`;
    return out === '' ? last : `${out}.${last}`;
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) stack.push({ kind: 'object', keys: new Set(), key: null, expectKey: true });
    else if (c === 0x5b /* [ */) stack.push({ kind: 'array', index: 0 });
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.kind === 'object') top.expectKey = true;
      else if (top?.kind === 'array') top.index++;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.kind === 'object' && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return path(key);
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    }
  }
  return null;
}

/** Parse JSON text from `file`: BOM dropped, syntax errors and duplicate keys as InputErrors naming the file. */
export function parseJsonText(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, file);
  }
  const dup = findDuplicateKey(body);
  if (dup !== null) throw new InputError(`duplicate key "${dup.slice(dup.lastIndexOf('.') + 1)}" (JSON keeps only one of them)`, `${file}: ${dup}`);
  return data;
}
