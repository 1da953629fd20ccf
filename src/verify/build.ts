/**
 * Builds a generated C project into a verification library (a shared object
 * exporting `mobilec_abi`) and its typed binding, cached by content hash so
 * an unchanged model is never rebuilt.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execTool } from '../util/exec.js';
import { cacheDir } from '../util/paths.js';
import { ADDON_PATH, ensureAddonBuilt } from './native.js';
import { generateBinding, type ModelSignature } from './binding.js';

export interface BuildOptions {
  /** Compile with MOBILEC_LAYER_HOOKS so every layer's output can be read. */
  readonly layerHooks: boolean;
  /** e.g. '-O2' for verification, '-O3' for timing. */
  readonly optimize: string;
  /** Compile with MOBILEC_POISON_DEAD: dead arena bytes are overwritten at every layer boundary. */
  readonly poison?: boolean;
}

export interface BuiltModel {
  readonly dir: string;
  readonly libraryPath: string;
  /** The compiled typed binding (`<name>.js`); import it to call the C. */
  readonly bindingPath: string;
  /** True when this call compiled it, false when it came from the cache. */
  readonly fresh: boolean;
}

/** Bumped whenever the build recipe changes, to invalidate old caches. */
const RECIPE_VERSION = 1;

function hostCompiler(): string {
  return process.env.CC || 'cc';
}

export function buildVerificationLibrary(
  files: ReadonlyMap<string, string | Uint8Array>,
  sig: ModelSignature,
  opts: BuildOptions,
): BuiltModel {
  const cc = hostCompiler();
  const flags = ['-std=c99', opts.optimize, '-fPIC', '-shared', '-Wall', '-Wextra', '-I', '.'];
  if (opts.layerHooks) flags.push('-DMOBILEC_LAYER_HOOKS');
  if (opts.poison) flags.push('-DMOBILEC_POISON_DEAD');
  const hash = createHash('sha256');
  // The binding embeds the addon path, so a checkout elsewhere gets its own build.
  hash.update(JSON.stringify({ RECIPE_VERSION, cc, flags, sig, addon: ADDON_PATH }));
  for (const name of [...files.keys()].sort()) {
    hash.update(`\0${name}\0`);
    hash.update(files.get(name)!);
  }
  const key = hash.digest('hex').slice(0, 24);
  const root = join(cacheDir(), 'lib');
  const dir = join(root, `${sig.name}-${key}`);
  const libraryPath = join(dir, `lib${sig.name}.so`);
  const bindingPath = join(dir, `${sig.name}.js`);
  ensureAddonBuilt();
  if (existsSync(bindingPath)) return { dir, libraryPath, bindingPath, fresh: false };

  // Build in a private directory and rename it into place: concurrent
  // builders of the same model cannot see each other's half-written files.
  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.tmp-${sig.name}-${key}-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  try {
    for (const [name, content] of files) writeFileSync(join(tmp, name), content);
    const sources = [...files.keys()].filter((f) => f.endsWith('.c') || f.endsWith('.S')).sort();
    execTool(cc, [...flags, ...sources, '-o', `lib${sig.name}.so`], {
      cwd: tmp,
      what: `compiling model ${sig.name} for verification`,
    });
    const binding = generateBinding(sig, ADDON_PATH, libraryPath);
    writeFileSync(join(tmp, `${sig.name}.ts`), binding.ts);
    writeFileSync(join(tmp, `${sig.name}.d.ts`), binding.dts);
    writeFileSync(join(tmp, `${sig.name}.js`), binding.js);
    // The binding is an ES module; the cache directory is not inside a package.
    writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n');
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process finished the same build first: use theirs.
      if (!existsSync(bindingPath)) throw new Error(`cannot move ${tmp} to ${dir}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, libraryPath, bindingPath, fresh: true };
}
