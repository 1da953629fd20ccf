/** What the output formats (CMake project, Arduino library, Zephyr module) share. */
import { badInput } from '../../model/errors.js';
import { TARGETS, type Target } from '../../targets/index.js';
import type { GeneratedProject, WeightsForm } from '../index.js';

export type FileMap = Map<string, string | Uint8Array>;

/** An output format of `compile --format`. */
export interface OutputFormat {
  readonly name: string;
  /** Recorded in the output directory's marker file. */
  readonly kind: string;
  /**
   * Checks the target and the `--weights` choice before any work (a
   * bad-input error otherwise) and returns the weights form to generate.
   */
  weightsFor(target: Target, weights: WeightsForm | undefined): WeightsForm;
  /** The files of the output directory (relative, `/`-separated paths). */
  files(project: GeneratedProject, target: Target): FileMap;
}

/** The files of a generated project that a firmware build compiles: no verification ABI, no CMake. */
export function firmwareFiles(project: GeneratedProject): FileMap {
  const hostOnly = new Set([`${project.name}_abi.c`, 'mobilec_abi.h', 'CMakeLists.txt']);
  return new Map([...project.files].filter(([f]) => !hostOnly.has(f)));
}

/** `--format <format>` is for Cortex-M targets only: else exit 2 naming them. */
export function requireCortexM(format: string, target: Target): void {
  if (target.platform === 'bare-metal') return;
  const mcus = [...TARGETS.values()].filter((t) => t.platform === 'bare-metal').map((t) => t.name);
  throw badInput(`--format ${format} is for Cortex-M targets (${mcus.join(', ')}); target ${target.name} is not one (use --format cmake)`);
}

/** `[1,96,96,1]` of a project's input or output. */
export function shapeText(io: GeneratedProject['params']['input']): string {
  return `[${io.named
    .filter((d) => d.key.startsWith('DIM'))
    .map((d) => d.value)
    .join(',')}]`;
}
