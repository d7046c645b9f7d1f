import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { checkOutputDir, checkOutputFile, makeTempDir, moveDirContents, removeTemps, writeFileAtomic } from '../../src/cli/output.js';
import { cliPath, repoRoot, runCli } from '../helpers/cli.js';
import { scarec } from '../helpers/inproc.js';

/**
 * Issue 14 "Interrupted runs lose nothing" and issue 17's output errors, end to end (a handful of spawned
 * runs; the in-process suite covers the rest). No test waits on a clock: a signal is sent once the run
 * says it is working (its first progress line), which is long before it writes anything.
 */

const dir = mkdtempSync(join(tmpdir(), 'scarec-interrupt-'));
const small = 'test/fixtures/report-small.json';

/** Spawn scarec; resolve with its exit code once it ends; `onStderr` sees stderr as it arrives. */
function spawnScarec(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void, stdout: 'pipe' | number = 'pipe') {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, stdio: ['ignore', stdout, 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => {
    err += d;
    onStderr?.(err, child);
  });
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  return Object.assign(done, { pid: child.pid });
}

const leftovers = (d: string) => readdirSync(d).filter((f) => f.startsWith('.'));

describe('atomic output files (src/cli/output.ts)', () => {
  it('a write replaces the file by rename (a new inode), leaves no temporary, and a failed write keeps the old file', () => {
    const f = join(dir, 'plan.json');
    writeFileSync(f, 'OLD');
    const before = statSync(f).ino;
    writeFileAtomic(f, 'NEW');
    expect(readFileSync(f, 'utf8')).toBe('NEW');
    expect(statSync(f).ino).not.toBe(before);
    expect(leftovers(dir)).toEqual([]);
    // a target folder that vanished between the check and the write: bad input naming the file, nothing left
    const gone = join(dir, 'gone', 'x.json');
    expect(() => writeFileAtomic(gone, 'x')).toThrow(InputError);
    expect(() => writeFileAtomic(gone, 'x')).toThrow(/x\.json: cannot write/);
  });
  it('checks: a missing folder, a folder as target, a file as folder, a device', () => {
    expect(() => checkOutputFile(join(dir, 'no', 'x.json'))).toThrow(/does not exist/);
    expect(() => checkOutputFile(dir)).toThrow(/is a folder/);
    const file = join(dir, 'afile');
    writeFileSync(file, '');
    expect(() => checkOutputFile(join(file, 'x.json'))).toThrow(/not a folder|does not exist/);
    expect(() => checkOutputFile('/dev/full')).toThrow(/not a regular file/);
    expect(() => checkOutputDir(file)).toThrow(/not a folder/);
    expect(() => checkOutputDir(join(file, 'sub'))).toThrow(/not a folder/);
    expect(() => checkOutputDir(join(dir, 'new', 'deeper'))).not.toThrow();
  });
  it('two runs moving their folders into one target end with one complete set, never a mix', async () => {
    const target = join(dir, 'shared');
    mkdirSync(target);
    const a = makeTempDir(target);
    const b = makeTempDir(target);
    mkdirSync(a);
    mkdirSync(b);
    for (let i = 0; i < 50; i++) {
      writeFileSync(join(a, `f${i}`), 'A');
      writeFileSync(join(b, `f${i}`), 'B');
    }
    await Promise.all([moveDirContents(a, target), moveDirContents(b, target)]);
    const contents = new Set(Array.from({ length: 50 }, (_, i) => readFileSync(join(target, `f${i}`), 'utf8')));
    expect(contents.size).toBe(1);
    expect(leftovers(target)).toEqual([]);
  });
  it('removeTemps removes temporaries and folders (when stdout fails mid-run)', () => {
    const temps = new Set<string>();
    const t = makeTempDir(join(dir, 'rt'), temps);
    mkdirSync(t, { recursive: true });
    writeFileSync(join(t, 'x'), 'x');
    removeTemps(temps);
    expect(existsSync(t)).toBe(false);
  });
  it('temporaries of a killed run (a dead pid) are swept by the next write; those of live runs are kept', () => {
    const d = join(dir, 'sweep');
    mkdirSync(d);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(d, `.plan.json.${dead}.abc123.tmp`), 'half');
    mkdirSync(join(d, `.scarec-tmp-${dead}-ff00`));
    writeFileSync(join(d, `.plan.json.${process.ppid}.abc123.tmp`), 'another run, alive');
    writeFileAtomic(join(d, 'plan.json'), 'x');
    expect(leftovers(d)).toEqual([`.plan.json.${process.ppid}.abc123.tmp`]);
  });
});

describe('--out of plan, export and stats: renamed into place; a failed run keeps the previous file', () => {
  const line = ['1', ...Array.from({ length: 13 }, () => '1'), ...Array.from({ length: 26 }, () => 'abc')].join('\t');
  const criteo = join(dir, 'c.tsv');
  writeFileSync(criteo, `${line}\n`);
  const infeasible = join(dir, 'infeasible.json');
  const tiny = JSON.parse(readFileSync('test/fixtures/tiny.json', 'utf8'));
  writeFileSync(infeasible, JSON.stringify({ ...tiny, devices: { ...tiny.devices, hostMemoryBytes: 10, gpuMemoryBytes: 10 } }));
  for (const [name, ok, bad] of [
    ['plan', (o: string) => ['plan', 'test/fixtures/tiny.json', '--algo', 'greedy', '--out', o], (o: string) => ['plan', infeasible, '--algo', 'greedy', '--out', o]],
    ['export', (o: string) => ['export', 'test/fixtures/tiny.json', '--format', 'lp', '--out', o], (o: string) => ['export', join(dir, 'missing.json'), '--format', 'lp', '--out', o]],
    ['stats', (o: string) => ['stats', criteo, '--out', o], (o: string) => ['stats', criteo, join(dir, 'missing.tsv'), '--out', o]],
  ] as const) {
    it(name, async () => {
      const d = join(dir, `out-${name}`);
      mkdirSync(d);
      const o = join(d, 'result');
      writeFileSync(o, 'PREVIOUS');
      const ino = statSync(o).ino;
      const failed = await scarec(bad(o));
      expect(failed.code).toBeGreaterThanOrEqual(2);
      expect(readFileSync(o, 'utf8')).toBe('PREVIOUS');
      const r = await scarec(ok(o));
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(o, 'utf8')).not.toBe('PREVIOUS');
      expect(statSync(o).ino).not.toBe(ino); // a rename, not a rewrite in place
      // no temporary left; besides the file, only its documented companions (export's variable map, stats's id map)
      expect(readdirSync(d).filter((f) => f !== 'result.map.json' && f !== 'result.ids')).toEqual(['result']);
    });
  }
});

describe('signals and output errors, end to end', () => {
  // A signal ends scarec by the signal itself (no handler, so Ctrl-C is immediate even inside a solve); a
  // shell reports that as 128 + the signal number: 130 for SIGINT, 143 for SIGTERM.
  it('SIGINT mid-reproduce: ended by SIGINT (status 130), the previous report intact, no temporary left', async () => {
    const out = join(dir, 'rep-int');
    mkdirSync(out);
    writeFileSync(join(out, 'report.html'), 'PREVIOUS');
    const r = await spawnScarec(['reproduce', '--scenario', small, '--out', out], (err, child) => {
      if (/\[figure 1\]/.test(err) && !child.killed) child.kill('SIGINT');
    });
    expect(r.signal).toBe('SIGINT');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe('PREVIOUS');
    expect(leftovers(out)).toEqual([]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('SIGTERM mid-reproduce: ended by SIGTERM (status 143), nothing written', async () => {
    const out = join(dir, 'rep-term');
    const r = await spawnScarec(['reproduce', '--scenario', small, '--out', out], (err, child) => {
      if (/\[figure 1\]/.test(err) && !child.killed) child.kill('SIGTERM');
    });
    expect(r.signal).toBe('SIGTERM');
    expect(existsSync(join(out, 'report.html'))).toBe(false);
    expect(leftovers(out)).toEqual([]);
  }, 120_000);

  it('two reproduce runs into one folder: both succeed, every file complete, no temporaries', async () => {
    const out = join(dir, 'rep-two');
    const [a, b] = await Promise.all([
      spawnScarec(['reproduce', '--scenario', small, '--out', out, '--json']),
      spawnScarec(['reproduce', '--scenario', small, '--out', out, '--json']),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.figures).toHaveLength(6);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/<\/html>\s*$/);
    for (const f of JSON.parse(a.stdout).files.figures as string[]) expect(readFileSync(f, 'utf8')).toMatch(/<\/svg>\s*$/);
    expect(leftovers(out)).toEqual([]);
  }, 240_000);

  /** A folder with a named pipe for `stats` to read and a previous profile (`PREVIOUS`) at its --out. */
  const statsFromFifo = (name: string) => {
    const d = join(dir, name);
    mkdirSync(d);
    const fifo = join(d, 'in.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const out = join(d, 'profile.json');
    writeFileSync(out, 'PREVIOUS');
    return { d, fifo, out };
  };

  it('SIGINT mid-stats reading a pipe: ended by SIGINT, --out keeps the previous profile, no temporary; a finished run writes it', async () => {
    const { d, fifo, out } = statsFromFifo('stats-int');
    const run = (finish: boolean) => {
      const done = spawnScarec(['stats', fifo, '--format', 'ids', '--out', out]);
      const w = createWriteStream(fifo);
      // 4 MiB through a 64 KiB pipe: when the write completes, scarec has read most of it, so it is mid-run
      // (the pipe stays open: it cannot finish until we close it)
      return new Promise<Awaited<typeof done>>((resolve) => {
        w.write(Buffer.from('12\n'.repeat((4 << 20) / 3)), () => {
          if (finish) w.end(() => done.then(resolve));
          else {
            process.kill(done.pid!, 'SIGINT');
            void done.then((r) => {
              w.destroy();
              resolve(r);
            });
          }
        });
      });
    };
    const killed = await run(false);
    expect(killed.signal).toBe('SIGINT');
    expect(readFileSync(out, 'utf8')).toBe('PREVIOUS');
    expect(readdirSync(d).sort()).toEqual(['in.fifo', 'profile.json']);
    const finished = await run(true);
    expect(finished.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).features.id.distinct).toBe(1);
  }, 120_000);

  it('stats --out: each id file beside the profile is replaced by rename (a new inode), no temporary left (issue 16)', () => {
    const d = join(dir, 'stats-ids');
    mkdirSync(d);
    const input = join(d, 'in.txt');
    writeFileSync(input, '5\n7\n7\n9\n7\n9\n');
    const out = join(d, 'profile.json');
    mkdirSync(join(d, 'profile.ids'));
    const idFile = join(d, 'profile.ids', 'id.i64');
    writeFileSync(idFile, 'PREVIOUS');
    const before = statSync(idFile).ino;
    const r = runCli(['stats', input, '--format', 'ids', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    // writeFileSync would keep the inode; temporary + rename gives a new one
    expect(statSync(idFile).ino).not.toBe(before);
    const b = readFileSync(idFile);
    expect(Array.from(new BigInt64Array(b.buffer, b.byteOffset, b.length / 8), Number)).toEqual([7, 9, 5]); // ranks by count
    expect(leftovers(join(d, 'profile.ids'))).toEqual([]);
    expect(leftovers(d)).toEqual([]);
  });

  it('SIGTERM mid-stats: the previous id files beside the profile stay whole, no temporary among them (issue 16)', async () => {
    const { d, fifo, out } = statsFromFifo('stats-ids-term');
    mkdirSync(join(d, 'profile.ids'));
    const idFile = join(d, 'profile.ids', 'id.i64');
    writeFileSync(idFile, 'PREVIOUS IDS');
    const done = spawnScarec(['stats', fifo, '--format', 'ids', '--out', out]);
    const w = createWriteStream(fifo);
    // distinct ids, so the id map is large; the pipe stays open, so the run is mid-read when killed
    const lines = Array.from({ length: 300_000 }, (_, i) => `${i}\n`).join('');
    const killed = await new Promise<Awaited<typeof done>>((resolve) =>
      w.write(Buffer.from(lines), () => {
        process.kill(done.pid!, 'SIGTERM');
        void done.then((r) => {
          w.destroy();
          resolve(r);
        });
      }),
    );
    expect(killed.signal).toBe('SIGTERM');
    expect(readFileSync(out, 'utf8')).toBe('PREVIOUS');
    expect(readFileSync(idFile, 'utf8')).toBe('PREVIOUS IDS');
    expect(readdirSync(join(d, 'profile.ids'))).toEqual(['id.i64']);
  }, 120_000);

  it('--json with stdout on a full device (/dev/full): exit 2 and one line on stderr, no stack trace (issue 17)', async () => {
    for (const args of [
      ['expect', '--dist', 'uniform', '--rows', '10', '--lookups', '3', '--json'],
      ['expect', '--dist', 'uniform', '--rows', '10', '--lookups', '3'],
    ]) {
      const fd = openSync('/dev/full', 'w');
      const r = await spawnScarec(args, undefined, fd);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/cannot write to standard output \(ENOSPC\)/);
    }
  });

  it('--out to a bad path from plan, export and calibrate: exit 2 at once with one line (issue 17)', () => {
    for (const args of [
      ['plan', 'test/fixtures/tiny.json', '--algo', 'greedy', '--out', join(dir, 'nope', 'p.json')],
      ['export', 'test/fixtures/tiny.json', '--format', 'lp', '--out', join(dir, 'nope', 'm.lp')],
      ['calibrate', '--quick', '--out', join(dir, 'nope', 'c.json')],
      ['reproduce', '--out', join(dir, 'afile-for-reproduce', 'x')],
    ]) {
      if (args[0] === 'reproduce') writeFileSync(join(dir, 'afile-for-reproduce'), '');
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      // calibrate names the path before measuring: nothing about kernels was printed
      expect(r.stdout).toBe('');
    }
  });
});
