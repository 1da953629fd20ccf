/**
 * The instruction-counting QEMU TCG plugin (native/qemu-plugin/insn_count.c),
 * built with the host compiler into the cache, keyed by content hash.
 *
 * Use: `-plugin <so>,start=0x…,stop=0x…,out=<file>`; after the guest exits,
 * `<file>` holds one line per start→stop window: the instructions executed
 * from the start address (inclusive) to the stop address (exclusive).
 * With `,cycles=m4` (or `m3`) each line also holds the estimated Cortex-M
 * cycles of the window (the model is described in insn_count.c).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execTool } from '../util/exec.js';
import { NATIVE_DIR, cacheDir } from '../util/paths.js';

const SOURCE = join(NATIVE_DIR, 'qemu-plugin', 'insn_count.c');

/** Builds the plugin if needed and returns the path of the shared object. */
export function ensureInsnCountPlugin(): string {
  const cc = process.env.CC || 'cc';
  const flags = ['-shared', '-fPIC', '-O2', '-std=c99', '-Wall', '-Wextra', '-fvisibility=hidden'];
  const source = readFileSync(SOURCE);
  const key = createHash('sha256').update(JSON.stringify({ cc, flags })).update(source).digest('hex').slice(0, 24);
  const dir = join(cacheDir(), 'qemu-plugin');
  const so = join(dir, `insn_count-${key}.so`);
  if (existsSync(so)) return so;
  mkdirSync(dir, { recursive: true });
  // Private name, then rename: a concurrent builder never sees a partial file.
  const tmp = join(dir, `.tmp-insn_count-${key}-${process.pid}-${Date.now()}.so`);
  try {
    execTool(cc, [...flags, SOURCE, '-o', tmp], { what: 'building the QEMU instruction-count plugin' });
    renameSync(tmp, so);
  } finally {
    rmSync(tmp, { force: true });
  }
  return so;
}

/** Parses the plugin's output file: one count per completed window. */
export function parseInsnCounts(text: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      if (!/^\d+$/.test(l.trim())) throw new Error(`insn_count plugin output: unexpected line '${l}'`);
      return Number(l.trim());
    });
}

/** Cycle tables the plugin knows: Cortex-M4 (also used for the M33) and Cortex-M3. */
export type CycleModel = 'm3' | 'm4';

/**
 * The cycle table of a target, or null where none applies: the M7's
 * dual issue and the M55's beats are not modelled.
 */
export function cycleModelOf(targetName: string): CycleModel | null {
  const models: Readonly<Record<string, CycleModel>> = { 'cortex-m3': 'm3', 'cortex-m4': 'm4', 'cortex-m33': 'm4' };
  return models[targetName] ?? null;
}

/** One start→stop window: instructions, and estimated cycles when a cycle model was given. */
export interface WindowCount {
  readonly instructions: number;
  readonly cycles: number | null;
}

/** Parses the plugin's output file: "<instructions>" or "<instructions> <cycles>" per completed window. */
export function parseWindowCounts(text: string): WindowCount[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(\d+)(?: (\d+))?$/.exec(l.trim());
      if (!m) throw new Error(`insn_count plugin output: unexpected line '${l}'`);
      return { instructions: Number(m[1]), cycles: m[2] === undefined ? null : Number(m[2]) };
    });
}
