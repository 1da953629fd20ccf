import { resolve } from 'node:path';
import { writeProject } from '../codegen/write.js';
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
  const { project } = prepareModel(model, opts);
  const dir = resolve(opts.out);
  writeProject(dir, project, { force: opts.force });
  const files = [...project.files.keys()].sort();
  process.stdout.write(
    `wrote ${dir}: ${files.join(', ')}\n` +
      `model ${project.name}: ${project.layers.length} layers, ${project.macs.toLocaleString('en-US')} MACs, ` +
      `arena ${project.arena.bytes.toLocaleString('en-US')} bytes, weights ${project.weightBytes.toLocaleString('en-US')} bytes ` +
      `(${((performance.now() - t0) / 1000).toFixed(2)} s)\n`,
  );
}
