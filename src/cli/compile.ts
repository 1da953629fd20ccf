import { checkOutputDir, writeProject } from '../codegen/write.js';
import type { KernelChoice } from './options.js';
import { prepareModel } from './prepare.js';

export interface CompileOptions {
  target: string;
  kernels: KernelChoice;
  name?: string;
  out: string;
  force: boolean;
}

export function compileCommand(model: string, opts: CompileOptions): void {
  const t0 = performance.now();
  // The output path is checked before any work, and again when written.
  const guard = { flag: '--out', force: opts.force, inputs: [model] };
  checkOutputDir(opts.out, guard);
  const { project } = prepareModel(model, opts);
  const dir = writeProject(opts.out, project, guard);
  const files = [...project.files.keys()].sort();
  process.stdout.write(
    `wrote ${dir}: ${files.join(', ')}\n` +
      `model ${project.name}: ${project.layers.length} layers, ${project.macs.toLocaleString('en-US')} MACs, ` +
      `arena ${project.arena.bytes.toLocaleString('en-US')} bytes, weights ${project.weightBytes.toLocaleString('en-US')} bytes ` +
      `(${((performance.now() - t0) / 1000).toFixed(2)} s)\n`,
  );
}
