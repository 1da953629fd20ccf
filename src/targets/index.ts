import { badInput } from '../model/errors.js';
import { cortexM3, cortexM4, cortexM7, cortexM33, cortexM55 } from './cortexM.js';
import { host } from './host.js';
import { rpi3, rpi4, rpi5, rpiArmv7 } from './rpi.js';
import type { Target } from './types.js';

export type { Emulator, SimdExtension, Target } from './types.js';
export { host } from './host.js';

/**
 * Every target of docs/CONTRACT.md, by CLI name. rpi3 comes last so that the tests taking the first target
 * per ISA (test/kernels/variants, pool) keep running rpi4, whose aarch64 NEON code rpi3 shares.
 */
export const TARGETS: ReadonlyMap<string, Target> = new Map(
  [host, cortexM3, cortexM4, cortexM7, cortexM33, cortexM55, rpi4, rpi5, rpiArmv7, rpi3].map((t) => [t.name, t]),
);

export function targetByName(name: string): Target {
  const t = TARGETS.get(name);
  if (!t) throw badInput(`unknown target '${name}'; supported: ${[...TARGETS.keys()].join(', ')}`);
  return t;
}
