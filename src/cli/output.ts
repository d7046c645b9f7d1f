import { accessSync, closeSync, constants, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../errors.js';

/**
 * Files the CLI writes. Each is checked before the work starts (a bad --out fails in milliseconds, not
 * after a solve or a calibration), written under a temporary name in the same folder and renamed into
 * place, so an interrupted run leaves the previous file whole, never a half-written one.
 */

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** The folder a new file goes into must exist and be writable, and the path must not be a folder. */
export function checkOutputFile(file: string, what = 'option --out'): void {
  if (file.trim() === '') throw new InputError('empty output path', what);
  const dir = dirname(resolve(file));
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw new InputError(`cannot write: folder ${dir} does not exist (${code(e)})`, file);
  }
  if (!st.isDirectory()) throw new InputError(`cannot write: ${dir} is not a folder`, file);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new InputError(`cannot write: folder ${dir} is not writable (${code(e)})`, file);
  }
  if (existsSync(file)) {
    const t = statSync(file);
    if (t.isDirectory()) throw new InputError('cannot write: it is a folder', file);
    if (!t.isFile()) throw new InputError('cannot write: not a regular file', file);
    try {
      accessSync(file, constants.W_OK);
    } catch (e) {
      throw new InputError(`cannot write: the file is not writable (${code(e)})`, file);
    }
  }
}

/** An output folder: an existing writable folder, or one that can be created under an existing writable folder. */
export function checkOutputDir(dir: string): void {
  if (dir.trim() === '') throw new InputError('empty output folder', 'option --out');
  let d = resolve(dir);
  if (existsSync(d) && !statSync(d).isDirectory()) throw new InputError('cannot write: it is a file, not a folder', dir);
  while (!existsSync(d)) {
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  if (!statSync(d).isDirectory()) throw new InputError(`cannot create the output folder: ${d} is not a folder`, dir);
  try {
    accessSync(d, constants.W_OK);
  } catch (e) {
    throw new InputError(`cannot write: folder ${d} is not writable (${code(e)})`, dir);
  }
}

function tempName(file: string): string {
  const r = Math.floor(Math.random() * 0xffffffff).toString(16);
  return join(dirname(resolve(file)), `.${basename(file)}.${process.pid}.${r}.tmp`);
}

/**
 * Write `text` to `file` atomically: a temporary file in the same folder (registered in `temps`, so a
 * signal handler can remove it), flushed, then renamed over the target. A failed write is bad input
 * (exit 2) naming the file, and leaves the previous file as it was.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array, temps?: Set<string>): void {
  sweepStaleTemps(dirname(resolve(file)));
  const tmp = tempName(file);
  temps?.add(tmp);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw new InputError(`cannot write (${code(e)})`, file);
  } finally {
    temps?.delete(tmp);
  }
}

/** Is process `pid` alive? (a temporary or lock of a dead one is stale) */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove what runs killed mid-write left in `dir`: temporaries (".NAME.PID.RAND.tmp", ".scarec-tmp-PID-RAND")
 * whose process is gone. A signal kills a run at once (Ctrl-C stays immediate during long solves), so a
 * kill that lands inside a write leaves its temporary, never a half-written target; the next run sweeps it.
 */
export function sweepStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.(?:.+\.(\d+)\.[0-9a-f]+\.tmp|scarec-tmp-(\d+)-[0-9a-f]+)$/.exec(name);
    const pid = m ? Number(m[1] ?? m[2]) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * The name of a private temporary folder inside `dir` (same file system, so its files rename into `dir`
 * atomically). It is not created here: the writer creates it when it writes, so a run killed while it
 * computes leaves nothing behind.
 */
export function makeTempDir(dir: string, temps?: Set<string>): string {
  const target = resolve(dir);
  sweepStaleTemps(target);
  const r = Math.floor(Math.random() * 0xffffffff).toString(16);
  const tmp = join(target, `.scarec-tmp-${process.pid}-${r}`);
  temps?.add(tmp);
  return tmp;
}

/**
 * Move every file of `tmpDir` into `dir`, one atomic rename each, under a lock file so that two runs
 * finishing together do not interleave their files: the folder ends with one run's complete set.
 */
export async function moveDirContents(tmpDir: string, dir: string, temps?: Set<string>, lockWaitMs = 120_000): Promise<void> {
  const target = resolve(dir);
  const lock = join(target, '.scarec.lock');
  const t0 = Date.now();
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(`cannot lock the output folder (${code(e)})`, dir);
      // a lock whose process is gone (killed between taking and releasing it) is stale
      try {
        const holder = Number(readFileSync(lock, 'utf8'));
        if ((Number.isInteger(holder) && holder > 0 && !alive(holder)) || Date.now() - statSync(lock).mtimeMs > 600_000) unlinkSync(lock);
      } catch {
        /* released meanwhile, or being written */
      }
      if (Date.now() - t0 > lockWaitMs) throw new InputError('another scarec run holds the output folder', dir);
      await sleep(20);
    }
  }
  temps?.add(lock);
  try {
    for (const name of readdirSync(tmpDir)) renameSync(join(tmpDir, name), join(target, name));
  } catch (e) {
    throw new InputError(`cannot write (${code(e)})`, dir);
  } finally {
    rmSync(lock, { force: true });
    temps?.delete(lock);
    rmSync(tmpDir, { recursive: true, force: true });
    temps?.delete(tmpDir);
  }
}

/** Remove what an interrupted run left: temporary files and folders (never the targets). */
export function removeTemps(temps: Set<string>): void {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
  temps.clear();
}

/**
 * A cheap first look at an input file, before the command loads the modules that parse it (zod, the
 * solvers): a missing file or a folder is bad input at once, with the loader's own words.
 */
export function checkInputFile(file: string, what: string): void {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(`${what} not found`, file);
    return; // the loader reports anything else
  }
  if (st.isDirectory()) throw new InputError(`${what} is a folder, not a file`, file);
}
