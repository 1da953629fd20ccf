/**
 * Writes a generated directory (a C project, an Arduino library, a Node
 * package) atomically and safely: into a temporary directory beside the
 * destination, then renamed into place.
 *
 * `--force` replaces only a directory that mobilec itself wrote (it holds
 * the marker file below). It never touches the working directory or one of
 * its ancestors, a directory holding the input model, or anything that is
 * not such a directory: those are bad-input errors (exit 2) raised before
 * anything on disk changes.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, relative, resolve, isAbsolute, sep } from 'node:path';
import { badInput, MobilecError } from '../model/errors.js';

/** The marker file every directory mobilec writes carries. */
export const OUTPUT_MARKER = '.mobilec-output';

export interface OutputCheck {
  /** The flag the path came from, for messages (`--out`, `--binding`). */
  readonly flag: string;
  readonly force: boolean;
  /** Files the command reads (the model): their directories are never replaced. */
  readonly inputs?: readonly string[];
}

/** True when `dir` is `path` itself or a directory above it. */
export function isSameOrAncestor(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such directory',
  ENOSPC: 'no space left on the device',
  EEXIST: 'a file is in the way',
};

function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code) return FS_REASONS[err.code] ? `${FS_REASONS[err.code]}, ${err.code}` : err.code;
  return err.message ?? String(e);
}

/**
 * Checks that `out` may be written with the given options and returns its
 * absolute path. Throws a one-line bad-input error otherwise; touches nothing.
 */
export function checkOutputDir(out: string, opts: OutputCheck): string {
  if (out.trim() === '') throw badInput(`${opts.flag} is empty; give the directory to write`);
  const target = resolve(out);
  const real = realOrResolved(target);
  const cwd = realOrResolved(process.cwd());
  if (isSameOrAncestor(real, cwd)) {
    throw badInput(
      `${opts.flag} ${out}: is the working directory or one of its ancestors; mobilec writes only into a directory of its own (e.g. ${opts.flag} ./out)`,
    );
  }
  for (const input of opts.inputs ?? []) {
    const inReal = realOrResolved(input);
    if (isSameOrAncestor(real, inReal)) {
      throw badInput(`${opts.flag} ${out}: holds the input ${input}; write the output to another directory`);
    }
  }
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return target;
    throw badInput(`${opts.flag} ${out}: cannot use this path (${fsReason(e)})`);
  }
  if (st.isSymbolicLink()) throw badInput(`${opts.flag} ${out}: is a symbolic link; give a real directory`);
  if (!st.isDirectory()) throw badInput(`${opts.flag} ${out}: exists and is not a directory`);
  if (!opts.force) throw badInput(`${opts.flag} ${out}: already exists; pass --force to replace a directory mobilec wrote`);
  let entries: string[];
  try {
    entries = readdirSync(target);
  } catch (e) {
    throw badInput(`${opts.flag} ${out}: cannot read the existing directory (${fsReason(e)})`);
  }
  if (entries.length > 0 && !entries.includes(OUTPUT_MARKER)) {
    throw badInput(
      `${opts.flag} ${out}: exists and was not written by mobilec (no ${OUTPUT_MARKER} marker); --force replaces only mobilec's own output, so remove it yourself or choose another directory`,
    );
  }
  return target;
}

/** The marker's content: what wrote the directory. */
function markerText(kind: string): string {
  return `${JSON.stringify({ writtenBy: 'mobilec', kind })}\n`;
}

/** True when `dir` holds mobilec's marker (a directory mobilec wrote). */
export function isMobilecOutput(dir: string): boolean {
  try {
    return readFileSync(join(dir, OUTPUT_MARKER), 'utf8').includes('"writtenBy":"mobilec"');
  } catch {
    return false;
  }
}

/**
 * Writes `files` (relative paths, `/`-separated, subdirectories allowed) as
 * the directory `out`, after `checkOutputDir`. New directories get the
 * usual 0777 & ~umask mode, like any tool's.
 */
export function writeOutputDir(out: string, files: ReadonlyMap<string, string | Uint8Array>, opts: OutputCheck & { kind: string }): string {
  const target = checkOutputDir(out, opts);
  const parent = dirname(target);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw badInput(`${opts.flag} ${out}: cannot create ${parent} (${fsReason(e)})`);
  }
  if (!statSync(parent).isDirectory()) throw badInput(`${opts.flag} ${out}: ${parent} is not a directory`);
  removeStrays(parent, basename(target));
  deferSignals();
  const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(tmp, { mode: 0o777 });
  } catch (e) {
    throw badInput(`${opts.flag} ${out}: cannot write in ${parent} (${fsReason(e)})`);
  }
  // Tests stretch the write (MOBILEC_TEST_SLOW_WRITE_MS per file) to signal the process inside it.
  const slow = Number(process.env.MOBILEC_TEST_SLOW_WRITE_MS ?? 0);
  try {
    for (const [file, content] of files) {
      const path = join(tmp, ...file.split('/'));
      if (!resolve(path).startsWith(tmp + sep)) throw badInput(`internal file name ${file} leaves the output directory`);
      mkdirSync(dirname(path), { recursive: true, mode: 0o777 });
      writeFileSync(path, content);
      if (slow > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, slow);
    }
    writeFileSync(join(tmp, OUTPUT_MARKER), markerText(opts.kind));
    if (existsSync(target)) {
      const old = join(parent, `.${basename(target)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
      renameSync(target, old);
      try {
        renameSync(tmp, target);
      } catch (e) {
        renameSync(old, target);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof MobilecError) throw e;
    throw badInput(`${opts.flag} ${out}: cannot write the output (${fsReason(e)})`);
  }
  return target;
}

/**
 * From here on SIGINT and SIGTERM end the process only once the current
 * synchronous work is done: the temporary directory is then either renamed
 * into place (a complete output) or removed, never left half-written. Before
 * the first write, a signal kills the process at once, with nothing on disk.
 */
let signalsDeferred = false;
function deferSignals(): void {
  if (signalsDeferred) return;
  signalsDeferred = true;
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(sig, () => process.exit(code));
  }
}

/**
 * Removes what a killed mobilec left beside `name` in `parent`: its
 * `.<name>.tmp-<pid>-*` and `.<name>.old-<pid>-*` directories whose process
 * no longer runs (SIGKILL, a power cut). Another live compile's are kept.
 */
export function removeStrays(parent: string, name: string): string[] {
  const prefix = `.${name}.`;
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return removed;
  }
  for (const e of entries) {
    if (!e.startsWith(prefix)) continue;
    const m = /^(tmp|old)-(\d+)-[0-9a-f]{8}$/.exec(e.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || isAlive(pid)) continue;
    try {
      rmSync(join(parent, e), { recursive: true, force: true });
      removed.push(e);
    } catch {
      // not ours to remove (permissions): leave it
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes a generated C project as `--out` (see writeOutputDir). */
export function writeProject(
  dir: string,
  project: { readonly files: ReadonlyMap<string, string | Uint8Array> },
  opts: { force: boolean; inputs?: readonly string[]; flag?: string },
): string {
  return writeOutputDir(dir, project.files, { flag: opts.flag ?? '--out', force: opts.force, inputs: opts.inputs, kind: 'c-project' });
}
