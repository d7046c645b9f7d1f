import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { parseJsonText } from './json.js';

/** "tables[2].distribution.alpha" from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Parse `data` with `schema`; on failure throw InputError naming the file and the first bad field. */
export function parseWithSchema<S extends z.ZodType>(schema: S, data: unknown, file: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new InputError(`${first.message}${more}`, `${file}: ${formatPath(first.path)}`);
}

/** Read and parse a JSON file; a missing file or a JSON syntax error becomes an InputError. */
export function readJsonFile(file: string, what = 'file'): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${what} not found` : code === 'EISDIR' ? `${what} is a folder, not a file` : `cannot read ${what} (${code ?? String(e)})`, file);
  }
  if (text.trim() === '') throw new InputError(`${what} is empty`, file);
  return parseJsonText(text, file);
}
