/**
 * Builds a generated C project into a verification library (a shared object
 * exporting `mobilec_abi`) and its typed binding, cached by content hash so
 * an unchanged model is never rebuilt.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execTool } from '../util/exec.js';
import { cachedBuild, contentKey } from '../util/buildCache.js';
import { ADDON_PATH, ensureAddonBuilt } from './native.js';
import { generateBinding, type ModelSignature } from './binding.js';

export interface BuildOptions {
  /** Compile with MOBILEC_LAYER_HOOKS so every layer's output can be read. */
  readonly layerHooks: boolean;
  /** e.g. '-O2' for verification, '-O3' for timing. */
  readonly optimize: string;
  /** Compile with MOBILEC_POISON_DEAD: dead arena bytes are overwritten at every layer boundary. */
  readonly poison?: boolean;
  /** More compiler flags, e.g. ['-march=native'] in a benchmark (never in verification). */
  readonly extraFlags?: readonly string[];
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
const RECIPE_VERSION = 2;

function hostCompiler(): string {
  return process.env.CC || 'cc';
}

export function buildVerificationLibrary(files: ReadonlyMap<string, string | Uint8Array>, sig: ModelSignature, opts: BuildOptions): BuiltModel {
  const cc = hostCompiler();
  const flags = ['-std=c99', opts.optimize, '-fPIC', '-shared', '-Wall', '-Wextra', '-I', '.'];
  if (opts.layerHooks) flags.push('-DMOBILEC_LAYER_HOOKS');
  if (opts.poison) flags.push('-DMOBILEC_POISON_DEAD');
  flags.push(...(opts.extraFlags ?? []));
  // The binding embeds the addon path, so a checkout elsewhere gets its own build.
  const key = contentKey({ RECIPE_VERSION, cc, flags, sig, addon: ADDON_PATH }, files);
  ensureAddonBuilt();
  const library = `lib${sig.name}.so`;
  const { dir, fresh } = cachedBuild('lib', sig.name, key, `${sig.name}.js`, (tmp) => {
    for (const [name, content] of files) writeFileSync(join(tmp, name), content);
    const sources = [...files.keys()].filter((f) => f.endsWith('.c') || f.endsWith('.S')).sort();
    execTool(cc, [...flags, ...sources, '-o', library], {
      cwd: tmp,
      what: `compiling model ${sig.name} for verification`,
    });
    // The binding finds the library beside itself, so the rename into place keeps it valid.
    const binding = generateBinding(sig, { addon: { absolute: ADDON_PATH }, library: { beside: library }, layerHooks: opts.layerHooks });
    writeFileSync(join(tmp, `${sig.name}.ts`), binding.ts);
    writeFileSync(join(tmp, `${sig.name}.d.ts`), binding.dts);
    // The binding is an ES module; the cache directory is not inside a package.
    writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(tmp, `${sig.name}.js`), binding.js);
  });
  return { dir, libraryPath: join(dir, library), bindingPath: join(dir, `${sig.name}.js`), fresh };
}
