import { OUTPUT_FORMATS } from '../codegen/formats/index.js';
import { checkOutputDir, writeOutputDir } from '../codegen/write.js';
import { internalError } from '../model/errors.js';
import { targetByName } from '../targets/index.js';
import type { FormatChoice, KernelChoice, WeightsChoice } from './options.js';
import { prepareModel } from './prepare.js';

export interface CompileOptions {
  target: string;
  kernels: KernelChoice;
  name?: string;
  out: string;
  force: boolean;
  format: FormatChoice;
  weights?: WeightsChoice;
}

export function compileCommand(model: string, opts: CompileOptions): void {
  const t0 = performance.now();
  const format = OUTPUT_FORMATS.get(opts.format);
  if (!format) throw internalError(`no output format ${opts.format}`);
  // The format, the output path and the weights form are checked before any work.
  const weights = format.weightsFor(targetByName(opts.target), opts.weights);
  const guard = { flag: '--out', force: opts.force, inputs: [model] };
  checkOutputDir(opts.out, guard);
  const { project, target } = prepareModel(model, { ...opts, weights });
  const output = format.files(project, target);
  const dir = writeOutputDir(opts.out, output, { ...guard, kind: format.kind });
  const files = [...output.keys()].sort();
  process.stdout.write(
    `wrote ${dir}: ${files.join(', ')}\n` +
      `model ${project.name}: ${project.layers.length} layers, ${project.macs.toLocaleString('en-US')} MACs, ` +
      `arena ${project.arena.bytes.toLocaleString('en-US')} bytes, weights ${project.weightBytes.toLocaleString('en-US')} bytes ` +
      `(${((performance.now() - t0) / 1000).toFixed(2)} s)\n`,
  );
}
