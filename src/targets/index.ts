import { badInput } from '../model/errors.js';
import { cortexM3, cortexM4, cortexM7, cortexM33, cortexM55 } from './cortexM.js';
import { host } from './host.js';
import { rpi4, rpi5, rpiArmv7 } from './rpi.js';
import type { Target } from './types.js';

export type { Emulator, SimdExtension, Target } from './types.js';
export { host } from './host.js';

/** Every target of docs/CONTRACT.md, by CLI name. */
export const TARGETS: ReadonlyMap<string, Target> = new Map(
  [host, cortexM3, cortexM4, cortexM7, cortexM33, cortexM55, rpi4, rpi5, rpiArmv7].map((t) => [t.name, t]),
);

export function targetByName(name: string): Target {
  const t = TARGETS.get(name);
  if (!t) throw badInput(`unknown target '${name}'; supported: ${[...TARGETS.keys()].join(', ')}`);
  return t;
}
