import { badInput } from '../model/errors.js';
import { host } from './host.js';
import type { Target } from './types.js';

export type { SimdExtension, Target } from './types.js';
export { host } from './host.js';

export const TARGETS: ReadonlyMap<string, Target> = new Map([[host.name, host]]);

export function targetByName(name: string): Target {
  const t = TARGETS.get(name);
  if (!t) throw badInput(`unknown target '${name}'; supported: ${[...TARGETS.keys()].join(', ')}`);
  return t;
}
