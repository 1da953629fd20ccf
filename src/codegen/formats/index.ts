/** The output formats of `compile --format`. */
import { arduinoFormat } from './arduino.js';
import type { OutputFormat } from './common.js';
import { zephyrFormat } from './zephyr.js';

export type { FileMap, OutputFormat } from './common.js';

/** `cmake` (default): the generated C project as it is, with its CMakeLists.txt. */
export const cmakeFormat: OutputFormat = {
  name: 'cmake',
  kind: 'c-project',
  weightsFor: (_target, weights) => weights ?? 'incbin',
  files: (project) => new Map(project.files),
};

export const OUTPUT_FORMATS: ReadonlyMap<string, OutputFormat> = new Map([cmakeFormat, arduinoFormat, zephyrFormat].map((f) => [f.name, f]));
