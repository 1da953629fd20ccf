import { inspectGraph, formatInspect } from '../inspect/inspect.js';
import { prepareModel } from './prepare.js';

export function inspectCommand(model: string, opts: { target: string; json: boolean }): void {
  // The arena is the one the generated C would use: kernels are chosen
  // first, since a kernel that streams may run in place.
  const { graph, project, target } = prepareModel(model, { target: opts.target, kernels: 'simd' });
  const report = inspectGraph(graph, project.arena, target.name);
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspect(report)}\n`);
}
