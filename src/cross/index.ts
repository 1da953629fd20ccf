/** The runner for each kind of emulated target. */
import { internalError } from '../model/errors.js';
import type { Target } from '../targets/index.js';
import { linuxRunner } from './linux.js';
import { mcuRunner } from './mcu.js';
import type { CrossRunner } from './types.js';

export type { CrossRunner, CrossRunResult, CrossBuildInfo, CrossRunOptions } from './types.js';

export function runnerFor(target: Target): CrossRunner {
  switch (target.emulator.kind) {
    case 'user':
      return linuxRunner;
    case 'system':
      return mcuRunner;
    case 'addon':
      throw internalError(`target ${target.name} runs through the addon, not an emulator`);
  }
}
