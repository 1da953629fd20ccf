/**
 * The generic verification addon (native/addon.cc): built once with
 * cmake-js, then used to load each model's verification library.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { execTool } from '../util/exec.js';
import { NATIVE_DIR, PACKAGE_ROOT } from '../util/paths.js';
import { environmentError } from '../model/errors.js';

export interface NativeModelInfo {
  readonly name: string;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly layerCount: number;
  readonly layerHooks: boolean;
}

/** A loaded model library; see native/addon.cc. */
export interface NativeModel {
  info(): NativeModelInfo;
  invoke(input: ArrayBufferView): Buffer;
  invokeLayers(input: ArrayBufferView): Buffer[];
  bench(input: ArrayBufferView, repeat: number): Float64Array;
}

interface NativeAddon {
  Model: new (path: string) => NativeModel;
}

export const ADDON_PATH = join(NATIVE_DIR, 'build', 'Release', 'mobilec_native.node');

let addon: NativeAddon | undefined;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds the addon if it is not there. Several test workers may ask at
 * once: a lock directory lets one build while the others wait.
 */
export function ensureAddonBuilt(): string {
  if (existsSync(ADDON_PATH)) return ADDON_PATH;
  const lock = join(NATIVE_DIR, '.build-lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(ADDON_PATH)) return ADDON_PATH;
      // A lock older than 5 minutes belongs to a build that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* raced with its removal */
      }
      if (Date.now() > deadline) throw environmentError(`timed out waiting for the addon build lock ${lock}`);
      sleep(250);
    }
  }
  try {
    if (!existsSync(ADDON_PATH)) {
      const require = createRequire(join(PACKAGE_ROOT, 'package.json'));
      const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
      execTool(process.execPath, [cmakeJs, 'compile', '-d', NATIVE_DIR], {
        cwd: PACKAGE_ROOT,
        what: 'building the verification addon (cmake-js)',
      });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return ADDON_PATH;
}

export function loadAddon(): NativeAddon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    addon = require(ensureAddonBuilt()) as NativeAddon;
  }
  return addon;
}

/** Loads a model verification library (a shared object exporting mobilec_abi). */
export function loadNativeModel(libraryPath: string): NativeModel {
  const { Model } = loadAddon();
  try {
    return new Model(libraryPath);
  } catch (e) {
    throw environmentError(`loading ${libraryPath}: ${(e as Error).message}`);
  }
}
